import { ChatWidget, type ChatWidgetConfig } from './chat-widget.js';

/**
 * The widget's entry point. A page embeds it with one tag:
 *
 * ```html
 * <script src="https://gateway.example.com/webchat/widget.js" data-title="Chat with us" async></script>
 * ```
 *
 * `data-title`, `data-open="true"`, `data-accent` (a CSS colour), `data-identity-token` (signed
 * by the host website's server) and `data-server` (the gateway's URL, when the script is served
 * from elsewhere) configure it. `window.ThreadlineWebchat.open()` and `.close()` control it.
 */
function currentScript(): HTMLScriptElement | undefined {
  const script = document.currentScript;
  if (script instanceof HTMLScriptElement) return script;
  const scripts = Array.from(document.querySelectorAll('script[src]'));
  return scripts.find((element): element is HTMLScriptElement =>
    /\/webchat\/widget\.js(\?|$)/.test((element as HTMLScriptElement).src),
  );
}

function socketUrl(base: string): string {
  const url = new URL('/webchat/ws', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

function configFrom(script: HTMLScriptElement | undefined): ChatWidgetConfig {
  const data = script?.dataset ?? {};
  const base =
    data.server ?? (script?.src ? new URL(script.src, location.href).origin : location.origin);
  const server = new URL(base, location.href);
  return {
    socketUrl: socketUrl(server.href),
    title: data.title || 'Chat with us',
    open: data.open === 'true',
    identityToken: data.identityToken || undefined,
    accent: data.accent || undefined,
    storageKey: `threadline-webchat:${server.origin}`,
  };
}

function start(script: HTMLScriptElement | undefined): void {
  const host = document.createElement('div');
  host.setAttribute('data-threadline-webchat', '');
  document.body.append(host);
  const widget = new ChatWidget(host, configFrom(script));
  (window as unknown as { ThreadlineWebchat: unknown }).ThreadlineWebchat = {
    open: () => widget.open(),
    close: () => widget.close(),
  };
}

const script = currentScript();
if (document.body) start(script);
else document.addEventListener('DOMContentLoaded', () => start(script), { once: true });
