import type { ConversationControl } from '@threadline/client';
import { useState } from 'preact/hooks';
import { useSession } from '../context';
import { shortTime } from '../format';
import { useIntegrations } from '../use-integrations';
import './control-panel.css';

/** Reads the metadata box: empty is none; anything else must be a JSON object. */
export function parseMetadata(text: string): Record<string, unknown> | undefined | string {
  if (!text.trim()) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
    return 'Metadata must be a JSON object, like {"intent": "refund"}.';
  } catch (error) {
    return `Metadata is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export function MetadataList({ metadata }: { metadata: Record<string, unknown> | null }) {
  if (!metadata || Object.keys(metadata).length === 0) return null;
  return (
    <dl class="metadata">
      {Object.entries(metadata).map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/**
 * Switchboard control of one conversation: who answers now, what was handed over, and a form
 * to pass control on (an operator's key may pass whoever is in control).
 */
export function ControlPanel({
  conversationId,
  control,
  onChanged,
}: {
  conversationId: string;
  control: ConversationControl;
  onChanged: (control: ConversationControl) => void;
}) {
  const { client } = useSession();
  const { integrations, nameOf, error } = useIntegrations();
  const [to, setTo] = useState('');
  const [metadata, setMetadata] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function pass(event: Event) {
    event.preventDefault();
    const parsed = parseMetadata(metadata);
    if (typeof parsed === 'string') return setProblem(parsed);
    setBusy(true);
    setProblem(null);
    try {
      onChanged(
        await client.conversations.passControl(conversationId, {
          ...(to ? { to } : {}),
          ...(parsed ? { metadata: parsed } : {}),
        }),
      );
      setMetadata('');
      setTo('');
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card control-panel" aria-labelledby="control-title" data-testid="control">
      <h2 id="control-title">Control</h2>
      <p>
        In control:{' '}
        <strong data-testid="active-integration">{nameOf(control.activeIntegrationId)}</strong>
        {control.since ? <span class="muted"> since {shortTime(control.since)}</span> : null}
        {control.pendingIntegrationId && (
          <span class="muted"> · offered to {nameOf(control.pendingIntegrationId)}</span>
        )}
      </p>
      <MetadataList metadata={control.metadata} />
      <form class="inline-form" onSubmit={pass} aria-label="Pass control">
        <label>
          <span>Pass control to</span>
          <select value={to} onChange={(event) => setTo(event.currentTarget.value)}>
            <option value="">Its next integration</option>
            {integrations
              .filter((integration) => integration.id !== control.activeIntegrationId)
              .map((integration) => (
                <option key={integration.id} value={integration.id}>
                  {integration.name}
                </option>
              ))}
          </select>
        </label>
        <label class="grow">
          <span>Handoff metadata (JSON object, optional)</span>
          <textarea
            rows={2}
            value={metadata}
            placeholder='{"intent": "refund", "orderId": "A-1001"}'
            onInput={(event) => setMetadata(event.currentTarget.value)}
          />
        </label>
        <button type="submit" class="button" disabled={busy}>
          {busy ? 'Passing…' : 'Pass control'}
        </button>
      </form>
      {(problem ?? error) && (
        <p class="problem" role="alert">
          {problem ?? `Could not list integrations: ${error}`}
        </p>
      )}
    </section>
  );
}
