import type { Conversation } from '@threadline/schema';

export type ContinuityDecision =
  | { action: 'join'; conversation: Conversation }
  | { action: 'reopen'; conversation: Conversation }
  /** Keep the message with a resolved conversation without reopening it (auto-replies). */
  | { action: 'attach'; conversation: Conversation }
  | { action: 'open'; previous: Conversation | null; expire: Conversation | null };

/**
 * Where an inbound message goes: the contact's open conversation while it is inside the
 * continuity window; a resolved conversation reopens inside the window; past the window a
 * new conversation opens, linked to the previous one. Auto-replies never reopen.
 */
export function decideContinuity(
  latest: Conversation | undefined,
  now: Date,
  windowMs: number,
  options: { automated?: boolean } = {},
): ContinuityDecision {
  if (!latest) return { action: 'open', previous: null, expire: null };
  const since = now.getTime() - new Date(latest.lastMessageAt).getTime();
  const inside = since <= windowMs;
  if (latest.status === 'open') {
    return inside
      ? { action: 'join', conversation: latest }
      : { action: 'open', previous: latest, expire: latest };
  }
  if (!inside) return { action: 'open', previous: latest, expire: null };
  return options.automated
    ? { action: 'attach', conversation: latest }
    : { action: 'reopen', conversation: latest };
}
