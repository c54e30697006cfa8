import { ThreadlineError } from '@threadline/connector-kit';
import { parseDuration } from '../clock.js';
import type { Integration } from '../ports.js';

export interface IntegrationInput {
  name?: string;
  next?: string | null;
  responseTimeout?: string | null;
  receives?: 'active' | 'all';
}

/** Metadata passed with control: JSON, at most this many bytes. */
export const maxControlMetadataBytes = 16 * 1024;

const invalid = (path: string, message: string) =>
  new ThreadlineError('validation_failed', `${path}: ${message}`, { details: { path } });

/** The response timeout in milliseconds, or null; throws a field error for a bad value. */
export function responseTimeoutMs(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw invalid('responseTimeout', `"${value}" is not a duration (use e.g. 30s, 2m, 1h)`);
  }
  if (ms < 1) throw invalid('responseTimeout', 'must be longer than 0');
  return ms;
}

/**
 * A new or changed integration, checked: the duration parses and `next` names another
 * integration that exists (`exists` answers for ids).
 */
export async function buildIntegration(
  previous: Integration | undefined,
  input: IntegrationInput,
  fields: { id: string; now: string },
  exists: (id: string) => Promise<boolean>,
): Promise<Integration> {
  const name = input.name ?? previous?.name;
  if (!name) throw invalid('name', 'an integration needs a name');
  const next = input.next === undefined ? (previous?.next ?? null) : input.next;
  if (next !== null) {
    if (next === fields.id) throw invalid('next', 'an integration cannot pass to itself');
    if (!(await exists(next))) throw invalid('next', `no integration ${next}`);
  }
  const responseTimeout =
    input.responseTimeout === undefined
      ? (previous?.responseTimeout ?? null)
      : input.responseTimeout;
  responseTimeoutMs(responseTimeout);
  return {
    id: fields.id,
    name,
    next,
    responseTimeout,
    receives: input.receives ?? previous?.receives ?? 'active',
    createdAt: previous?.createdAt ?? fields.now,
    updatedAt: fields.now,
  };
}

/** Metadata travels in events and on the conversation, so it is bounded. */
export function checkMetadata(
  metadata: Record<string, unknown> | null | undefined,
): Record<string, unknown> | null {
  if (metadata === null || metadata === undefined) return null;
  if (Buffer.byteLength(JSON.stringify(metadata), 'utf8') > maxControlMetadataBytes)
    throw invalid('metadata', `must be at most ${maxControlMetadataBytes} bytes as JSON`);
  return metadata;
}
