import type { Contact, Conversation, Message, RenderedPreview } from '@threadline/client';
import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../context';
import { channelName, contentSummary } from '../format';

type Draft =
  | { type: 'text'; text: string }
  | { type: 'interactive'; text: string; buttons: { id: string; title: string }[] };

function draftContent(text: string, buttons: string): Draft | null {
  if (!text.trim()) return null;
  const titles = buttons
    .split(',')
    .map((title) => title.trim())
    .filter(Boolean);
  if (titles.length === 0) return { type: 'text', text };
  return {
    type: 'interactive',
    text,
    buttons: titles.map((title, index) => ({ id: `option-${index + 1}`, title })),
  };
}

/**
 * Replies where the customer is (the channel they wrote on last) or on a chosen channel,
 * showing first how the channel will carry it (buttons become a numbered list on SMS).
 */
export function ReplyBox({
  conversation,
  contact,
  onSent,
}: {
  conversation: Conversation;
  contact: Contact;
  onSent: (message: Message) => void;
}) {
  const { client } = useSession();
  const [channel, setChannel] = useState('');
  const [text, setText] = useState('');
  const [buttons, setButtons] = useState('');
  const [preview, setPreview] = useState<RenderedPreview | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const channels = [...new Set(contact.identities.map((identity) => identity.channel))];
  const target = channel || conversation.lastInboundChannel || channels[0] || '';
  const content = draftContent(text, buttons);

  useEffect(() => {
    if (!content || !target) return setPreview(null);
    let current = true;
    const timer = setTimeout(() => {
      client.messages.render({ channel: target, content }).then(
        (rendered) => current && setPreview(rendered),
        () => current && setPreview(null),
      );
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [client, target, text, buttons]);

  async function send(event: Event) {
    event.preventDefault();
    if (!content) return setProblem('Write a message first.');
    setSending(true);
    setProblem(null);
    try {
      const message = await client.messages.send(
        { contactId: contact.id, ...(channel ? { channel } : {}), content },
        { idempotencyKey: crypto.randomUUID() },
      );
      onSent(message);
      setText('');
      setButtons('');
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setSending(false);
    }
  }

  return (
    <form class="reply card" onSubmit={send} aria-labelledby="reply-title">
      <h2 id="reply-title" class="visually-hidden">
        Reply
      </h2>
      <div class="reply-row">
        <label class="reply-channel">
          <span>Send on</span>
          <select value={channel} onChange={(event) => setChannel(event.currentTarget.value)}>
            <option value="">
              Where the customer is
              {conversation.lastInboundChannel
                ? ` (${channelName(conversation.lastInboundChannel)})`
                : ''}
            </option>
            {channels.map((option) => (
              <option key={option} value={option}>
                {channelName(option)}
              </option>
            ))}
          </select>
        </label>
        <label class="grow">
          <span>Buttons (optional, comma separated)</span>
          <input
            type="text"
            value={buttons}
            onInput={(event) => setButtons(event.currentTarget.value)}
          />
        </label>
      </div>
      <label>
        <span>Message</span>
        <textarea
          rows={3}
          value={text}
          onInput={(event) => setText(event.currentTarget.value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void send(event);
          }}
        />
      </label>
      {preview && (
        <section class="preview" aria-label="How it will be sent" data-testid="render-preview">
          <p class="muted small">
            On {channelName(preview.channel)}
            {preview.choices ? ' — buttons become a numbered list' : ''}
            {preview.parts.length > 1 ? ` — sent as ${preview.parts.length} messages` : ''}:
          </p>
          {preview.parts.map((part, index) => (
            <pre key={index} class="preview-part">
              {contentSummary(part)}
            </pre>
          ))}
        </section>
      )}
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      <div class="reply-actions">
        <span class="muted small">Ctrl+Enter sends</span>
        <button type="submit" class="button primary" disabled={sending || !content}>
          {sending ? 'Sending…' : 'Send'}
        </button>
      </div>
    </form>
  );
}
