import type { Attachment, Button, Content, PostbackContent } from '@threadline/schema';
import type { Capabilities } from './capabilities.js';
import { ConnectorError } from './errors.js';
import { splitText } from './split-text.js';

/** Outbound content rendered for one channel: the parts to send in order, and any choices offered. */
export interface RenderedContent {
  parts: Content[];
  /**
   * Buttons shown as a numbered list because the channel has none: an inbound reply naming
   * one ("2", or its title) maps back to that button's postback (see {@link matchChoice}).
   */
  choices: Button[] | null;
}

const describeAttachment = (attachment: Omit<Attachment, 'kind'> & { kind: string }) =>
  attachment.url ?? `[${attachment.kind}${attachment.filename ? `: ${attachment.filename}` : ''}]`;

function textParts(text: string, capabilities: Capabilities): Content[] {
  return splitText(text, capabilities.text.maxLength).map((part) => ({ type: 'text', text: part }));
}

function renderAttachments(
  text: string,
  attachments: Attachment[],
  capabilities: Capabilities,
): Content[] {
  const native = attachments.filter((item) => capabilities.media.includes(item.kind));
  const asLinks = attachments.filter((item) => !capabilities.media.includes(item.kind));
  const linkText = asLinks.map(describeAttachment).join('\n');
  const body = [text, linkText].filter((piece) => piece.length > 0).join('\n');
  const carried = native.slice(0, capabilities.maxAttachments);
  const extra = native.slice(capabilities.maxAttachments);
  const parts = textParts(body, capabilities) as Array<Content & { type: 'text' }>;
  if (carried.length > 0) {
    const first = parts[0]!;
    parts[0] = { ...first, attachments: carried };
  }
  const rest: Content[] = extra.map((item) => ({ type: 'media', ...item }));
  return [...parts.filter((part) => part.text.length > 0 || part.attachments?.length), ...rest];
}

function numberedList(text: string, buttons: Button[]): string {
  const lines = buttons.map((button, index) => `${index + 1}. ${button.title}`);
  return `${text}\n\n${lines.join('\n')}\n\nReply with a number.`;
}

const mapLink = (latitude: number, longitude: number) =>
  `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=17/${latitude}/${longitude}`;

/**
 * Renders content down to what a channel can carry: buttons become a numbered list, media a
 * link, a location a map link, a contact card text, and over-long text is split in order.
 * Only content with no faithful rendering (a template on a channel without templates) is
 * refused, with `unsupported_content`.
 */
export function renderForChannel(
  content: Content,
  capabilities: Capabilities,
  channel = 'this channel',
): RenderedContent {
  switch (content.type) {
    case 'text': {
      const attachments = content.attachments ?? [];
      const fits =
        Array.from(content.text).length <= capabilities.text.maxLength &&
        attachments.length <= capabilities.maxAttachments &&
        attachments.every((item) => capabilities.media.includes(item.kind));
      if (fits) return { parts: [content], choices: null };
      return { parts: renderAttachments(content.text, attachments, capabilities), choices: null };
    }
    case 'media': {
      if (capabilities.media.includes(content.kind) && capabilities.maxAttachments > 0) {
        const caption = content.caption ?? '';
        if (Array.from(caption).length <= capabilities.text.maxLength)
          return { parts: [content], choices: null };
        const { caption: _dropped, ...media } = content;
        return { parts: [media, ...textParts(caption, capabilities)], choices: null };
      }
      const link = describeAttachment(content);
      const text = content.caption ? `${content.caption}\n${link}` : link;
      return { parts: textParts(text, capabilities), choices: null };
    }
    case 'interactive': {
      const buttons = capabilities.buttons;
      const fits =
        buttons !== null &&
        content.buttons.length <= buttons.max &&
        content.buttons.every(
          (button) => Array.from(button.title).length <= buttons.titleMaxLength,
        ) &&
        Array.from(content.text).length <= capabilities.text.maxLength;
      if (fits) return { parts: [content], choices: null };
      return {
        parts: textParts(numberedList(content.text, content.buttons), capabilities),
        choices: content.buttons,
      };
    }
    case 'location': {
      if (capabilities.location) return { parts: [content], choices: null };
      const label = [content.name, content.address].filter(Boolean).join(', ');
      const link = mapLink(content.latitude, content.longitude);
      return { parts: textParts(label ? `${label}\n${link}` : link, capabilities), choices: null };
    }
    case 'contact': {
      if (capabilities.contacts) return { parts: [content], choices: null };
      const lines = [content.name, ...content.phones, ...content.emails];
      return { parts: textParts(lines.join('\n'), capabilities), choices: null };
    }
    case 'postback':
      return { parts: textParts(content.title ?? content.payload, capabilities), choices: null };
    case 'reaction':
      if (capabilities.reactions) return { parts: [content], choices: null };
      return { parts: content.emoji ? textParts(content.emoji, capabilities) : [], choices: null };
    case 'template':
      if (capabilities.templates) return { parts: [content], choices: null };
      throw ConnectorError.unsupportedContent(
        channel,
        `templates are not available (template "${content.name}")`,
      );
  }
}

/**
 * Maps an inbound reply to one of the choices offered as a numbered list: "2", "2.", " 2 ",
 * or a button's title (any case). Returns the matching postback, or undefined.
 */
export function matchChoice(text: string, choices: readonly Button[]): PostbackContent | undefined {
  const answer = text.trim().replace(/[.)]$/, '').trim();
  const toPostback = (button: Button): PostbackContent => ({
    type: 'postback',
    payload: button.id,
    title: button.title,
  });
  if (/^\d{1,3}$/.test(answer)) {
    const button = choices[Number(answer) - 1];
    return button ? toPostback(button) : undefined;
  }
  const lowered = answer.toLowerCase();
  const byTitle = choices.find((button) => button.title.trim().toLowerCase() === lowered);
  return byTitle ? toPostback(byTitle) : undefined;
}

/** True when `content` can be sent as it is, without rendering down. */
export function isNativelySupported(content: Content, capabilities: Capabilities): boolean {
  const rendered = (() => {
    try {
      return renderForChannel(content, capabilities);
    } catch {
      return undefined;
    }
  })();
  return rendered !== undefined && rendered.parts.length === 1 && rendered.parts[0] === content;
}
