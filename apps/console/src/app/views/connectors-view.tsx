import type { ConnectorInfo, ThreadlineEvent } from '@threadline/client';
import { useEffect, useState } from 'preact/hooks';
import { ChannelBadge } from '../components/badges';
import { useSession } from '../context';
import { shortTime } from '../format';
import { useAsync } from '../use-async';

type StatusChange = Extract<ThreadlineEvent, { type: 'connector.status_changed' }>;

export function ConnectorsView() {
  const { client, feed } = useSession();
  const connectors = useAsync(() => client.connectors.list(), []);
  const readiness = useAsync(() => client.system.ready(), []);
  const [changes, setChanges] = useState<StatusChange[]>([]);

  useEffect(() => {
    let current = true;
    (async () => {
      const seen: StatusChange[] = [];
      for await (const event of client.events.iterate({ types: ['connector.status_changed'] }))
        if (event.type === 'connector.status_changed') seen.push(event);
      if (current)
        setChanges((live) => [
          ...seen,
          ...live.filter((event) => !seen.some((old) => old.id === event.id)),
        ]);
    })().catch(() => undefined);
    const unsubscribe = feed.subscribe((event) => {
      if (event.type !== 'connector.status_changed') return;
      setChanges((existing) => [...existing, event]);
      connectors.reload();
      readiness.reload();
    });
    return () => {
      current = false;
      unsubscribe();
    };
  }, [client, feed, connectors.reload, readiness.reload]);

  return (
    <section class="view" aria-labelledby="connectors-title">
      <header class="view-header">
        <h1 id="connectors-title">Connectors</h1>
        <p class="muted">
          Gateway readiness:{' '}
          <strong data-testid="readiness">
            {readiness.value ? readiness.value.status.replace('_', ' ') : '…'}
          </strong>
        </p>
      </header>
      {connectors.error && (
        <p class="problem" role="alert">
          {connectors.error}
        </p>
      )}
      <div class="card-grid">
        {connectors.value?.map((connector) => (
          <ConnectorCard
            key={connector.id}
            connector={connector}
            check={
              readiness.value?.checks[`connector:${connector.id}`] ??
              readiness.value?.checks[connector.id]
            }
            changes={changes
              .filter((event) => event.data.connectorId === connector.id)
              .slice(-5)
              .reverse()}
          />
        ))}
      </div>
    </section>
  );
}

function ConnectorCard({
  connector,
  check,
  changes,
}: {
  connector: ConnectorInfo;
  check: { ok: boolean; detail?: string } | undefined;
  changes: StatusChange[];
}) {
  const titleId = `connector-${connector.id}`;
  return (
    <article class="card connector" aria-labelledby={titleId} data-connector-id={connector.id}>
      <header class="connector-header">
        <h2 id={titleId}>{connector.id}</h2>
        <ChannelBadge channel={connector.channel} />
        <span class={`pill state-${connector.state}`}>{connector.state}</span>
      </header>
      {connector.detail && <p class="muted small">{connector.detail}</p>}
      {check && (
        <p class="small">
          Readiness check: {check.ok ? 'passing' : 'failing'}
          {check.detail && !connector.detail?.includes(check.detail.replace(/^\w+: /, ''))
            ? ` — ${check.detail}`
            : ''}
        </p>
      )}
      {connector.pairing && connector.state !== 'ready' && <PairingCode connector={connector} />}
      <h3>Recent status changes</h3>
      {changes.length === 0 ? (
        <p class="muted small">None recorded.</p>
      ) : (
        <ul class="plain-list small">
          {changes.map((event) => (
            <li key={event.id}>
              <time dateTime={event.time}>{shortTime(event.time)}</time> {event.data.status}
              {event.data.detail ? ` — ${event.data.detail}` : ''}
            </li>
          ))}
        </ul>
      )}
    </article>
  );
}

/**
 * A linked-device session: the pairing QR code while it waits to be scanned (refreshed, as
 * WhatsApp rotates it), or why it is disconnected (logged out from the phone).
 */
function PairingCode({ connector }: { connector: ConnectorInfo }) {
  const { client } = useSession();
  const [image, setImage] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const waiting = connector.state === 'starting';
  useEffect(() => {
    if (!waiting) return;
    let current = true;
    let url: string | null = null;
    const load = () =>
      client.connectors.pairingQr(connector.id).then(
        (png) => {
          if (!current) return;
          if (url) URL.revokeObjectURL(url);
          url = URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' }));
          setImage(url);
          setProblem(null);
        },
        (error: unknown) => {
          if (!current) return;
          setImage(null);
          setProblem(error instanceof Error ? error.message : String(error));
        },
      );
    void load();
    const timer = setInterval(load, 10_000);
    return () => {
      current = false;
      clearInterval(timer);
      if (url) URL.revokeObjectURL(url);
    };
  }, [client, connector.id, waiting]);

  if (connector.state === 'disconnected')
    return (
      <p class="problem small" data-testid="pairing-state">
        Not linked: {connector.detail ?? 'the session is disconnected'}. Restart the connector to
        show a new pairing code.
      </p>
    );
  if (!waiting) return null;
  return (
    <div class="pairing" data-testid="pairing-state">
      {image ? (
        <figure>
          <img src={image} width={200} height={200} alt={`Pairing QR code for ${connector.id}`} />
          <figcaption class="small">
            On the phone: WhatsApp → Linked devices → Link a device, then scan this code.
          </figcaption>
        </figure>
      ) : (
        <p class="small">
          {problem ? 'No pairing code yet: the session is starting.' : 'Loading the pairing code…'}
        </p>
      )}
    </div>
  );
}
