import type { Attachment, Button, Content } from '@threadline/schema';

const shownTypes = new Set<string>([
  'text',
  'media',
  'interactive',
  'postback',
  'location',
  'contact',
  'reaction',
]);

/** Whether the widget can show this content (a newer server may send kinds it does not know). */
export function canShowContent(content: Content): boolean {
  return shownTypes.has(content.type);
}

/** Only web links become links; anything else is shown as text. */
export function safeHref(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function paragraph(document: Document, text: string): HTMLParagraphElement {
  const element = document.createElement('p');
  element.textContent = text;
  return element;
}

function attachmentLabel(attachment: Omit<Attachment, 'kind'> & { kind: string }): string {
  const name = attachment.filename ?? attachment.url ?? attachment.mediaId ?? 'attachment';
  return `${attachment.kind}: ${name}`;
}

function attachmentList(
  document: Document,
  attachments: Array<Omit<Attachment, 'kind'> & { kind: string }>,
): HTMLUListElement {
  const list = document.createElement('ul');
  list.className = 'tl-attachments';
  for (const attachment of attachments) {
    const item = document.createElement('li');
    const href = safeHref(attachment.url);
    if (href) {
      const link = document.createElement('a');
      link.href = href;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.textContent = attachmentLabel(attachment);
      item.append(link);
    } else {
      item.textContent = attachmentLabel(attachment);
    }
    list.append(item);
  }
  return list;
}

/**
 * The inside of a message bubble, built with text nodes only (never HTML from the message):
 * text, attachments as links, buttons as real buttons that call `choose` (disabled once
 * `answer`, the pressed button's id, is known).
 */
export function renderChatContent(
  document: Document,
  content: Content,
  choose: (button: Button, element: HTMLButtonElement) => void,
  answer?: string,
): Node[] {
  switch (content.type) {
    case 'text': {
      const nodes: Node[] = [];
      if (content.text) nodes.push(paragraph(document, content.text));
      if (content.attachments?.length) nodes.push(attachmentList(document, content.attachments));
      return nodes;
    }
    case 'media': {
      const nodes: Node[] = [];
      if (content.caption) nodes.push(paragraph(document, content.caption));
      nodes.push(attachmentList(document, [content]));
      return nodes;
    }
    case 'interactive': {
      const group = document.createElement('div');
      group.className = 'tl-choices';
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', 'Choices');
      for (const button of content.buttons) {
        const element = document.createElement('button');
        element.type = 'button';
        element.textContent = button.title;
        element.setAttribute('aria-pressed', String(answer === button.id));
        element.disabled = answer !== undefined;
        element.addEventListener('click', () => choose(button, element));
        group.append(element);
      }
      return [paragraph(document, content.text), group];
    }
    case 'postback':
      return [paragraph(document, content.title ?? content.payload)];
    case 'location': {
      const label = [content.name, content.address].filter(Boolean).join(', ') || 'Location';
      const link = document.createElement('a');
      link.href = `https://www.openstreetmap.org/?mlat=${content.latitude}&mlon=${content.longitude}#map=17/${content.latitude}/${content.longitude}`;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      link.textContent = label;
      return [link];
    }
    case 'contact':
      return [paragraph(document, [content.name, ...content.phones, ...content.emails].join('\n'))];
    case 'reaction':
      return [paragraph(document, content.emoji)];
    default:
      return [paragraph(document, 'This message cannot be shown here.')];
  }
}
