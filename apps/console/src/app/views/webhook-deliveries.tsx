import type { WebhookDeliveryAttempt } from '@threadline/client';
import { shortTime } from '../format';
import './webhook-deliveries.css';

const outcomeLabels: Record<WebhookDeliveryAttempt['outcome'], string> = {
  delivered: 'delivered',
  failed: 'failed, will retry',
  dead_lettered: 'dead-lettered',
};

/** The latest requests to one subscriber, newest first: what it answered and how fast. */
export function WebhookDeliveries({
  subscriptionId,
  deliveries,
}: {
  subscriptionId: string;
  deliveries: WebhookDeliveryAttempt[];
}) {
  if (deliveries.length === 0) return <p class="muted small">No requests yet.</p>;
  return (
    <table class="deliveries" data-testid={`deliveries-${subscriptionId}`}>
      <caption class="visually-hidden">Latest requests, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Sent</th>
          <th scope="col">Events</th>
          <th scope="col">Outcome</th>
          <th scope="col">Status</th>
          <th scope="col">Attempt</th>
          <th scope="col">Latency</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((delivery) => (
          <tr
            key={`${delivery.webhookId}-${delivery.attempt}-${delivery.at}`}
            class={`outcome-${delivery.outcome}`}
          >
            <td>
              <time dateTime={delivery.at}>{shortTime(delivery.at)}</time>
            </td>
            <td title={delivery.eventIds.join(', ')}>
              {delivery.eventTypes.join(', ')}
              {delivery.eventIds.length > 1 ? ` ×${delivery.eventIds.length}` : ''}
            </td>
            <td>{outcomeLabels[delivery.outcome]}</td>
            <td title={delivery.error ?? undefined}>
              {delivery.statusCode ?? delivery.error ?? '—'}
            </td>
            <td>{delivery.attempt}</td>
            <td>{Math.round(delivery.latencyMs)} ms</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
