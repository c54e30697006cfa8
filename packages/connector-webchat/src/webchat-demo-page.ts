/**
 * The page the gateway serves at `/`: a short introduction and the widget, embedded the way
 * any website embeds it — one script tag.
 */
export function webchatDemoPage(options: { title?: string; origin?: string } = {}): string {
  const title = escapeHtml(options.title ?? 'Chat with us');
  const origin = escapeHtml(options.origin ?? 'http://localhost:8787');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Threadline web chat</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%233b5bdb'/%3E%3Cpath d='M8 10h16v10H14l-5 4v-4H8z' fill='white'/%3E%3C/svg%3E">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; }
  main { max-width: 38rem; padding: 3rem 1.5rem 3rem 6vw; }
  code, pre { font: 14px/1.4 ui-monospace, monospace; background: #e4e7eb; border-radius: 4px; }
  code { padding: 0.1rem 0.3rem; }
  pre { padding: 0.75rem; white-space: pre-wrap; overflow-wrap: anywhere; }
</style>
</head>
<body>
<main>
  <h1>Threadline web chat</h1>
  <p>This gateway is running. The chat is open in the corner: say hello. Your message reaches
  every app connected to this gateway as a <code>message.received</code> event.</p>
  <p>Answer it as an app would. With the gateway started with
  <code>THREADLINE_API_KEYS=&lt;api key&gt;</code>, find the visitor's contact id in the
  newest conversation:</p>
  <pre>curl -H 'authorization: Bearer &lt;api key&gt;' '${origin}/v1/conversations?limit=1'</pre>
  <p>then send the answer; it appears in the chat:</p>
  <pre>curl -X POST ${origin}/v1/messages \\
  -H 'authorization: Bearer &lt;api key&gt;' -H 'content-type: application/json' \\
  -d '{"contactId":"&lt;contact id&gt;","content":{"type":"text","text":"Hi! How can we help?"}}'</pre>
  <p>Any website adds the chat with one tag:</p>
  <pre>&lt;script src="${origin}/webchat/widget.js" data-title="Chat with us" async&gt;&lt;/script&gt;</pre>
</main>
<script src="/webchat/widget.js" data-title="${title}" data-open="true" async></script>
</body>
</html>
`;
}

function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
