import type { QuarantineEntry } from '@threadline/client';
import { useState } from 'preact/hooks';
import { useSession } from '../context';
import { fullTime } from '../format';
import { useAsync } from '../use-async';

function prettyBody(entry: QuarantineEntry): string {
  if (!entry.contentType.includes('json')) return entry.body;
  try {
    return JSON.stringify(JSON.parse(entry.body), null, 2);
  } catch {
    return entry.body;
  }
}

export function QuarantineView() {
  const { client } = useSession();
  const entries = useAsync(() => client.quarantine.list({ limit: 100 }), []);
  return (
    <section class="view" aria-labelledby="quarantine-title">
      <header class="view-header">
        <h1 id="quarantine-title">Quarantine</h1>
        <p class="muted">
          Provider requests the gateway could not take in: the payload, why, and where. Replay one
          after a fix.
        </p>
        <button type="button" class="button subtle" onClick={entries.reload}>
          Refresh
        </button>
      </header>
      {entries.error && (
        <p class="problem" role="alert">
          {entries.error}
        </p>
      )}
      {entries.value?.length === 0 && <p class="empty">Nothing in quarantine.</p>}
      <ul class="stack">
        {entries.value?.map((entry) => (
          <QuarantineItem key={entry.id} entry={entry} onReplayed={entries.reload} />
        ))}
      </ul>
    </section>
  );
}

function QuarantineItem({ entry, onReplayed }: { entry: QuarantineEntry; onReplayed: () => void }) {
  const { client } = useSession();
  const [result, setResult] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function replay() {
    setBusy(true);
    setProblem(null);
    try {
      const outcome = await client.quarantine.replay(entry.id);
      setResult(
        outcome.replayed
          ? `Replayed: ${outcome.received} message${outcome.received === 1 ? '' : 's'} taken in.`
          : 'Replayed, but nothing was taken in.',
      );
      onReplayed();
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }
  return (
    <li class="card quarantine-entry" data-quarantine-id={entry.id}>
      <header class="entry-header">
        <strong>{entry.connectorId}</strong>
        <span class={`pill kind-${entry.kind}`}>{entry.kind}</span>
        <time dateTime={entry.receivedAt} class="muted small">
          {fullTime(entry.receivedAt)}
        </time>
        {entry.replayedAt ? (
          <span class="pill state-ready">replayed {fullTime(entry.replayedAt)}</span>
        ) : (
          <button type="button" class="button" onClick={replay} disabled={busy}>
            Replay
          </button>
        )}
      </header>
      <dl class="facts">
        <dt>Reason</dt>
        <dd>{entry.reason}</dd>
        <dt>Path</dt>
        <dd>
          <code>{entry.path ?? '(whole payload)'}</code>
        </dd>
        <dt>Content type</dt>
        <dd>{entry.contentType}</dd>
      </dl>
      <details>
        <summary>Payload</summary>
        <pre class="payload">{prettyBody(entry)}</pre>
      </details>
      {result && (
        <p class="notice" role="status">
          {result}
        </p>
      )}
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
