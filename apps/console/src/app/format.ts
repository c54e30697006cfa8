import type { Message } from '@threadline/client';

type Content = Message['content'];

const channelNames: Record<string, string> = {
  whatsapp: 'WhatsApp',
  sms: 'SMS',
  email: 'Email',
  telegram: 'Telegram',
  webchat: 'Web chat',
};

export const channelName = (channel: string) => channelNames[channel] ?? channel;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** A time as operators scan it: the clock time today, else the date and time. */
export function shortTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  return date.toDateString() === now.toDateString()
    ? timeFormat.format(date)
    : dateTimeFormat.format(date);
}

export function fullTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** One line of text for any content: list previews, markers. */
export function contentSummary(content: Content): string {
  switch (content.type) {
    case 'text':
      return content.text || `${content.attachments?.length ?? 0} attachment(s)`;
    case 'media':
      return (
        content.caption ?? `[${content.kind}${content.filename ? `: ${content.filename}` : ''}]`
      );
    case 'interactive':
      return content.text;
    case 'location':
      return `📍 ${content.name ?? `${content.latitude}, ${content.longitude}`}`;
    case 'contact':
      return `Contact card: ${content.name}`;
    case 'postback':
      return content.title ?? content.payload;
    case 'reaction':
      return content.emoji ? `Reacted ${content.emoji}` : 'Removed a reaction';
    case 'template':
      return `Template ${content.name} (${content.language})`;
  }
}

export const statusLabels: Record<Message['status'], string> = {
  received: 'Received',
  queued: 'Queued',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
};
