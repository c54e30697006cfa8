/**
 * Message-ID helpers. Threadline stores email ids without angle brackets
 * (`abc@example.com`); headers carry them with brackets (`<abc@example.com>`).
 */

const bracketed = /<([^<>\s]+)>/g;

/** `<abc@example.com>` → `abc@example.com`; undefined for an empty or unusable id. */
export function stripMessageId(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  const inner = /^<([^<>]*)>$/.exec(trimmed)?.[1] ?? trimmed;
  const id = inner.trim();
  if (id.length === 0 || id.length > 998 || /[\s<>]/.test(id)) return undefined;
  return id;
}

/**
 * Every message id named in a header value, in order, without brackets or duplicates:
 * `<a@x> <b@x>` → `['a@x', 'b@x']`. A bare id without brackets is accepted as one id.
 */
export function messageIdsIn(values: ReadonlyArray<string | null | undefined>): string[] {
  const ids: string[] = [];
  for (const value of values) {
    if (!value) continue;
    const found = Array.from(value.matchAll(bracketed), (match) => match[1]!);
    const candidates = found.length > 0 ? found : value.split(/\s+/);
    for (const candidate of candidates) {
      const id = stripMessageId(candidate);
      if (id && !ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

/** An id as a header value: `abc@example.com` → `<abc@example.com>`. */
export function bracketMessageId(id: string): string {
  return `<${id}>`;
}

/**
 * The Message-ID Threadline gives an outbound email (without brackets): stable for the
 * gateway message id, so a resend after a crash carries the same id and the recipient's
 * client can tell it is the same message.
 */
export function outboundMessageId(messageId: string, domain: string): string {
  const local = messageId.replace(/[^A-Za-z0-9._-]/g, '-');
  return `threadline.${local}@${domain}`;
}
