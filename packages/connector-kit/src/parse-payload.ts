import { formatIssuePath } from '@threadline/schema';
import type { z } from 'zod';
import { ConnectorError } from './errors.js';

/**
 * Parse a provider payload with a lenient zod schema; on failure throw `payload_invalid`
 * naming the first offending path (e.g. `message.chat.id`).
 */
export function parseProviderPayload<T extends z.ZodType>(schema: T, data: unknown): z.output<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue ? formatIssuePath(issue.path) : '';
  throw ConnectorError.payloadInvalid(path, issue?.message ?? 'invalid', result.error);
}

/** JSON.parse that throws `payload_invalid` instead of a SyntaxError. */
export function parseJsonBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw ConnectorError.payloadInvalid('(body)', 'not valid JSON', error);
  }
}

/** Form-encoded body (`application/x-www-form-urlencoded`) as ordered pairs and a lookup. */
export function parseFormBody(body: string): {
  pairs: Array<[string, string]>;
  fields: Record<string, string>;
} {
  const pairs = Array.from(new URLSearchParams(body).entries());
  const fields: Record<string, string> = {};
  for (const [name, value] of pairs) if (!(name in fields)) fields[name] = value;
  return { pairs, fields };
}
