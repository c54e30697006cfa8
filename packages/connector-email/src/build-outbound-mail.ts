import type { OutboundMessage } from '@threadline/connector-kit';
import type { Attachment } from '@threadline/schema';
import type { SendMailOptions } from 'nodemailer';
import { bracketMessageId, outboundMessageId, stripMessageId } from './email-message-id.js';
import type { OutboundLink, ResolvedAttachments } from './fetch-outbound-attachments.js';

export interface OutboundMailSettings {
  from: { address: string; name?: string };
  /** The domain our Message-IDs use (the domain of `from`). */
  messageIdDomain: string;
  /** Subject of a message that starts a thread and names none. */
  defaultSubject: string;
}

export interface BuiltOutboundMail {
  /** Our Message-ID without brackets: the externalId of the sent message. */
  externalId: string;
  mail: SendMailOptions;
}

/** How many ids a References header keeps: the first (thread root) and the latest ones. */
const maxReferences = 20;

const replyPrefix =
  /^\s*((re|aw|sv|vs|antw|odp|ref|réf|rif|r)(\[\d+\])?\s*[:：]\s*|(回复|答复|回覆)\s*[:：]\s*)+/i;

/** `RE: AW: Order 1234` → `Re: Order 1234`. */
export function replySubject(subject: string): string {
  const base = subject.replace(replyPrefix, '').trim();
  return `Re: ${base}`;
}

/** The text an outbound message carries, and the media it attaches. */
export function outboundParts(message: OutboundMessage): { text: string; media: Attachment[] } {
  const content = message.content;
  if (content.type === 'text') return { text: content.text, media: content.attachments ?? [] };
  if (content.type === 'media') {
    const { type: _type, caption, ...media } = content;
    return { text: caption ?? '', media: [media] };
  }
  return { text: '', media: [] };
}

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character]!);
}

function linkLines(links: readonly OutboundLink[]): string[] {
  return links.map((link) => (link.url ? `${link.label}: ${link.url}` : `[${link.label}]`));
}

/** A minimal HTML part for plain text: paragraphs, line breaks, links for media. */
export function textToHtml(text: string, links: readonly OutboundLink[] = []): string {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .filter((paragraph) => paragraph.trim().length > 0)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>\n')}</p>`);
  const linkParagraphs = links.map((link) =>
    link.url
      ? `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`
      : `<p>[${escapeHtml(link.label)}]</p>`,
  );
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"></head><body>',
    ...paragraphs,
    ...linkParagraphs,
    '</body></html>',
  ].join('\n');
}

function threadIds(message: OutboundMessage): { inReplyTo?: string; references: string[] } {
  const thread: string[] = [];
  for (const raw of message.threadExternalIds ?? []) {
    const id = stripMessageId(raw);
    if (id && !thread.includes(id)) thread.push(id);
  }
  const inReplyTo = stripMessageId(message.replyToExternalId) ?? thread[thread.length - 1];
  if (inReplyTo && !thread.includes(inReplyTo)) thread.push(inReplyTo);
  const references =
    thread.length > maxReferences
      ? [thread[0]!, ...thread.slice(thread.length - (maxReferences - 1))]
      : thread;
  return { ...(inReplyTo ? { inReplyTo } : {}), references };
}

/**
 * The nodemailer message for an outbound Threadline message (pure):
 * - `Message-ID` `<threadline.<message id>@<domain of from>>`, returned as the externalId;
 * - a reply (a `replyToExternalId` or earlier ids in the thread) sets `In-Reply-To` (the
 *   message replied to, else the latest in the thread) and `References` (the thread), and a
 *   `Re: ` subject from `channelData.subject`;
 * - a text part and a minimal HTML part; attachments as files, or links when they could not
 *   be attached;
 * - a DSN request (ENVID = the Message-ID, headers only, on failure and delay) so bounces
 *   name the message even when the returned headers are cut.
 */
export function buildOutboundMail(
  message: OutboundMessage,
  settings: OutboundMailSettings,
  attachments: ResolvedAttachments = { files: [], links: [] },
): BuiltOutboundMail {
  const externalId = outboundMessageId(message.id, settings.messageIdDomain);
  const { inReplyTo, references } = threadIds(message);
  const subjectSetting = message.channelData?.subject;
  const subject =
    typeof subjectSetting === 'string' && subjectSetting.trim().length > 0
      ? subjectSetting.trim()
      : undefined;
  const isReply = inReplyTo !== undefined;
  const finalSubject =
    subject === undefined ? settings.defaultSubject : isReply ? replySubject(subject) : subject;

  const { text } = outboundParts(message);
  const textBody = [text, ...linkLines(attachments.links)]
    .filter((part) => part.length > 0)
    .join('\n\n');

  const mail: SendMailOptions = {
    from: settings.from.name
      ? { name: settings.from.name, address: settings.from.address }
      : settings.from.address,
    to: message.to.address,
    subject: finalSubject,
    messageId: bracketMessageId(externalId),
    text: textBody,
    html: textToHtml(text, attachments.links),
    ...(inReplyTo
      ? {
          inReplyTo: bracketMessageId(inReplyTo),
          references: references.map(bracketMessageId),
        }
      : {}),
    ...(attachments.files.length > 0
      ? {
          attachments: attachments.files.map((file) => ({
            filename: file.filename,
            contentType: file.contentType,
            content: file.content,
          })),
        }
      : {}),
    dsn: {
      id: externalId,
      return: 'headers',
      notify: ['FAILURE', 'DELAY'],
      recipient: message.to.address,
    },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  return { externalId, mail };
}
