import type { WebhookSubscription } from '@threadline/client';
import { useState } from 'preact/hooks';
import { useSession } from '../context';
import { fullTime } from '../format';
import { useAsync } from '../use-async';
import { WebhookDeliveries } from './webhook-deliveries';

export function WebhooksView() {
  const { client } = useSession();
  const subscriptions = useAsync(() => client.webhooks.list(), []);
  return (
    <section class="view" aria-labelledby="webhooks-title">
      <header class="view-header">
        <h1 id="webhooks-title">Webhooks</h1>
        <p class="muted">
          Subscriptions, where each one has got to, its dead letters, and redelivery.
        </p>
        <button type="button" class="button subtle" onClick={subscriptions.reload}>
          Refresh
        </button>
      </header>
      {subscriptions.error && (
        <p class="problem" role="alert">
          {subscriptions.error}
        </p>
      )}
      {subscriptions.value?.length === 0 && <p class="empty">No webhook subscriptions.</p>}
      <ul class="stack">
        {subscriptions.value?.map((subscription) => (
          <Subscription
            key={subscription.id}
            subscription={subscription}
            onChanged={subscriptions.reload}
          />
        ))}
      </ul>
    </section>
  );
}

function Subscription({
  subscription,
  onChanged,
}: {
  subscription: WebhookSubscription;
  onChanged: () => void;
}) {
  const { client } = useSession();
  const deadLetters = useAsync(() => client.webhooks.deadLetters(subscription.id), [subscription]);
  const deliveries = useAsync(() => client.webhooks.deliveries(subscription.id), [subscription]);
  const [after, setAfter] = useState(String(Math.max(0, subscription.cursor - 10)));
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const inputId = `redeliver-${subscription.id}`;

  async function redeliver(event: Event) {
    event.preventDefault();
    setProblem(null);
    try {
      const updated = await client.webhooks.redeliver(subscription.id, Number(after));
      setNotice(`Redelivering every event after cursor ${updated.cursor}.`);
      onChanged();
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    }
  }

  return (
    <li class="card" data-webhook-id={subscription.id}>
      <header class="entry-header">
        <code class="url">{subscription.url}</code>
        <span class={`pill ${subscription.enabled ? 'state-ready' : 'state-disconnected'}`}>
          {subscription.enabled ? 'enabled' : 'disabled'}
        </span>
      </header>
      <dl class="facts">
        <dt>Events</dt>
        <dd>{subscription.eventTypes.length ? subscription.eventTypes.join(', ') : 'all'}</dd>
        <dt>Delivered up to cursor</dt>
        <dd>{subscription.cursor}</dd>
        <dt>Failed attempts</dt>
        <dd>{subscription.attempts}</dd>
        <dt>Next attempt</dt>
        <dd>{subscription.nextAttemptAt ? fullTime(subscription.nextAttemptAt) : '—'}</dd>
        <dt>Last error</dt>
        <dd>{subscription.lastError ?? '—'}</dd>
        <dt>Created</dt>
        <dd>{fullTime(subscription.createdAt)}</dd>
      </dl>
      <form class="inline-form" onSubmit={redeliver}>
        <label for={inputId}>Redeliver every event after cursor</label>
        <input
          id={inputId}
          type="number"
          min={0}
          value={after}
          onInput={(event) => setAfter(event.currentTarget.value)}
        />
        <button type="submit" class="button">
          Redeliver
        </button>
      </form>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      <h3 class="section-title">Latest requests</h3>
      {deliveries.error && (
        <p class="problem" role="alert">
          Could not read the delivery log: {deliveries.error}
        </p>
      )}
      {deliveries.value && (
        <WebhookDeliveries subscriptionId={subscription.id} deliveries={deliveries.value} />
      )}
      <details>
        <summary>Dead letters ({deadLetters.value?.length ?? '…'})</summary>
        <pre class="payload">{JSON.stringify(deadLetters.value ?? [], null, 2)}</pre>
      </details>
    </li>
  );
}
