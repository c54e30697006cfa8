import {
  conversationIdOf,
  needsCurrentControl,
  type Store,
  shouldDeliver,
} from '@threadline/engine';
import type { ThreadlineEvent } from '@threadline/schema';

/**
 * Whether a listener (a webhook subscription or an event stream) receives an event, by the
 * switchboard's rule (`shouldDeliver` in the engine). A listener that is no integration costs
 * nothing; one that is reads the settings, itself, and the conversation's control when the
 * event carries none.
 */
export async function deliversTo(
  store: Store,
  integrationId: string | null | undefined,
  event: ThreadlineEvent,
): Promise<boolean> {
  if (!integrationId) return true;
  const settings = await store.read.getSwitchboard();
  if (!settings?.enabled) return true;
  const listener = await store.read.getIntegration(integrationId);
  let current: Awaited<ReturnType<typeof store.read.getControl>>;
  if (listener?.receives === 'active' && needsCurrentControl(event)) {
    const conversationId = conversationIdOf(event);
    if (conversationId) current = await store.read.getControl(conversationId);
  }
  return shouldDeliver({ enabled: true, listener, event, current });
}

/** The events of a batch a listener receives, in order. */
export async function selectFor(
  store: Store,
  integrationId: string | null | undefined,
  events: ThreadlineEvent[],
): Promise<ThreadlineEvent[]> {
  if (!integrationId) return events;
  const selected: ThreadlineEvent[] = [];
  for (const event of events)
    if (await deliversTo(store, integrationId, event)) selected.push(event);
  return selected;
}
