import type { Message } from '@threadline/client';
import { contentSummary } from '../format';

/** A message's content as readable text, with its buttons and attachments listed. */
export function MessageContent({ content }: { content: Message['content'] }) {
  switch (content.type) {
    case 'text':
      return (
        <div class="content">
          <p class="text">{content.text}</p>
          {content.attachments?.map((attachment) => (
            <p key={attachment.url ?? attachment.mediaId} class="attachment">
              📎{' '}
              {attachment.url ? (
                <a href={attachment.url}>{attachment.filename ?? attachment.kind}</a>
              ) : (
                (attachment.filename ?? attachment.kind)
              )}
            </p>
          ))}
        </div>
      );
    case 'interactive':
      return (
        <div class="content">
          <p class="text">{content.text}</p>
          <ul class="buttons" aria-label="Buttons">
            {content.buttons.map((button) => (
              <li key={button.id}>{button.title}</li>
            ))}
          </ul>
        </div>
      );
    default:
      return (
        <div class="content">
          <p class="text">{contentSummary(content)}</p>
        </div>
      );
  }
}
