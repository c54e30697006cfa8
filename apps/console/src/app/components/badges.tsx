import type { Message } from '@threadline/client';
import { channelName, statusLabels } from '../format';

export function ChannelBadge({ channel }: { channel: string }) {
  return (
    <span class={`badge channel channel-${channel}`} data-channel={channel}>
      {channelName(channel)}
    </span>
  );
}

export function StatusPill({ status }: { status: string }) {
  return <span class={`pill status-${status}`}>{status}</span>;
}

const tickMarks: Record<Message['status'], string> = {
  received: '',
  queued: '◷',
  sent: '✓',
  delivered: '✓✓',
  read: '✓✓',
  failed: '!',
};

/** Delivery state of an outbound message, updated as status events arrive. */
export function DeliveryTicks({ message }: { message: Message }) {
  if (message.direction !== 'outbound') return null;
  return (
    <span
      class={`ticks tick-${message.status}`}
      data-testid="delivery-status"
      data-status={message.status}
    >
      <span aria-hidden="true" class="tick-mark">
        {tickMarks[message.status]}
      </span>{' '}
      {statusLabels[message.status]}
      {message.status === 'failed' && message.error && (
        <span class="tick-error">
          : {message.error.message} ({message.error.code})
        </span>
      )}
    </span>
  );
}
