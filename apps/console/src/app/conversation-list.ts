import type {
  Conversation,
  ConversationStatus,
  Message,
  ThreadlineClient,
  ThreadlineEvent,
} from '@threadline/client';
import { contentSummary } from './format';
import type { LiveFeed } from './live';

export interface ListFilters {
  status?: ConversationStatus;
  /** The channel the customer last wrote on. */
  channel?: string;
  /** A contact's address on any channel. */
  address?: string;
  /** The integration in control (switchboard). */
  integrationId?: string;
}

export interface ConversationRow {
  conversation: Conversation;
  /** The last message seen on the stream, when one was. */
  preview?: { text: string; direction: Message['direction']; channel: string };
}

const pageSize = 100;

const newestFirst = (a: ConversationRow, b: ConversationRow) =>
  b.conversation.lastMessageAt.localeCompare(a.conversation.lastMessageAt) ||
  b.conversation.id.localeCompare(a.conversation.id);

/**
 * The conversation list: pages from `GET /v1/conversations`, kept current from the event
 * stream. Rows are keyed by conversation id, so a page and an event carrying the same
 * conversation make one row; a new message moves its conversation to the top.
 */
/**
 * The last message of each conversation seen on the stream this session, so a list opened
 * later still shows what was said.
 */
export function createPreviewCache(feed: LiveFeed) {
  const previews = new Map<string, NonNullable<ConversationRow['preview']>>();
  feed.subscribe((event) => {
    if (event.type !== 'message.received' && event.type !== 'message.sent') return;
    const { message } = event.data;
    previews.set(message.conversationId, previewOf(message));
  });
  return previews;
}

export type PreviewCache = ReturnType<typeof createPreviewCache>;

const previewOf = (message: Message): NonNullable<ConversationRow['preview']> => ({
  text: contentSummary(message.content),
  direction: message.direction,
  channel: message.channel,
});

export function createConversationList(
  client: ThreadlineClient,
  feed: LiveFeed,
  previews: PreviewCache,
  filters: ListFilters,
) {
  const rows = new Map<string, ConversationRow>();
  const matchedContacts = new Set<string>();
  /** Who controls each conversation, as pages and control events have said. */
  const controlOf = new Map<string, string | null>();
  const listeners = new Set<() => void>();
  let ordered: ConversationRow[] = [];
  let nextCursor: string | null | undefined;
  let loading = false;
  let error: string | null = null;
  let closed = false;

  const changed = () => {
    ordered = [...rows.values()].sort(newestFirst);
    for (const listener of listeners) listener();
  };

  const matches = (conversation: Conversation) =>
    !conversation.mergedIntoId &&
    (!filters.status || conversation.status === filters.status) &&
    (!filters.channel || conversation.lastInboundChannel === filters.channel) &&
    (!filters.address || matchedContacts.has(conversation.contactId)) &&
    (!filters.integrationId || controlOf.get(conversation.id) === filters.integrationId);

  /** Keeps the newer of two copies of a conversation, and its latest activity. */
  function upsert(conversation: Conversation, preview?: ConversationRow['preview']) {
    const existing = rows.get(conversation.id);
    let next = conversation;
    if (existing) {
      const older = existing.conversation.updatedAt > conversation.updatedAt;
      next = older ? existing.conversation : conversation;
      const last = existing.conversation.lastMessageAt;
      if (last > next.lastMessageAt) next = { ...next, lastMessageAt: last };
    }
    if (!matches(next)) {
      rows.delete(conversation.id);
      return;
    }
    rows.set(conversation.id, {
      conversation: next,
      preview: preview ?? existing?.preview ?? previews.get(conversation.id),
    });
  }

  const fetching = new Map<string, Promise<Conversation | undefined>>();
  function fetchConversation(id: string) {
    let found = fetching.get(id);
    if (!found) {
      found = client.conversations.get(id).catch(() => undefined);
      fetching.set(id, found);
      void found.finally(() => fetching.delete(id));
    }
    return found;
  }

  /** `at` is when the gateway took the message in: provider timestamps may lag behind it. */
  async function onMessage(message: Message, at: string) {
    const preview = previewOf(message);
    const latest = at > message.createdAt ? at : message.createdAt;
    const existing = rows.get(message.conversationId);
    if (existing) {
      const conversation = { ...existing.conversation };
      if (latest > conversation.lastMessageAt) conversation.lastMessageAt = latest;
      if (message.direction === 'inbound') conversation.lastInboundChannel = message.channel;
      rows.set(conversation.id, { conversation, preview });
      if (!matches(conversation)) rows.delete(conversation.id);
      return changed();
    }
    const conversation = await fetchConversation(message.conversationId);
    if (!conversation || closed) return;
    upsert(
      latest > conversation.lastMessageAt
        ? { ...conversation, lastMessageAt: latest }
        : conversation,
      preview,
    );
    changed();
  }

  /** Control moved: the conversation joins or leaves a list filtered by integration. */
  async function onControl(conversationId: string, to: string | null) {
    controlOf.set(conversationId, to);
    if (!filters.integrationId) return;
    const existing = rows.get(conversationId);
    if (existing) {
      if (!matches(existing.conversation)) rows.delete(conversationId);
      return changed();
    }
    if (to !== filters.integrationId) return;
    const conversation = await fetchConversation(conversationId);
    if (!conversation || closed) return;
    upsert(conversation);
    changed();
  }

  async function onEvent(event: ThreadlineEvent) {
    switch (event.type) {
      case 'conversation.control_passed':
      case 'conversation.control_accepted':
        return onControl(event.data.conversationId, event.data.to);
      case 'message.received':
        if (event.data.control)
          controlOf.set(event.data.message.conversationId, event.data.control.activeIntegrationId);
        return onMessage(event.data.message, event.time);
      case 'message.sent':
        return onMessage(event.data.message, event.time);
      case 'conversation.opened':
      case 'conversation.resolved':
      case 'conversation.reopened':
      case 'conversation.channel_switched':
        upsert(event.data.conversation);
        return changed();
      case 'contact.merged':
        for (const id of event.data.movedConversationIds) {
          const conversation = await fetchConversation(id);
          if (conversation) upsert(conversation);
        }
        return changed();
      default:
        return;
    }
  }

  /** Pages are fetched only once the stream is connected (see below). */
  let streaming = false;
  async function loadMore(): Promise<void> {
    if (!streaming || loading || nextCursor === null || closed) return;
    loading = true;
    changed();
    try {
      const page = await client.conversations.list({
        ...filters,
        limit: pageSize,
        ...(nextCursor ? { after: nextCursor } : {}),
      });
      for (const conversation of page.data) {
        if (filters.address) matchedContacts.add(conversation.contactId);
        if (filters.integrationId) controlOf.set(conversation.id, filters.integrationId);
        upsert(conversation);
      }
      nextCursor = page.nextCursor;
      error = null;
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
    } finally {
      loading = false;
      changed();
    }
  }

  const unsubscribe = feed.subscribe((event) => {
    void onEvent(event);
  });
  // The stream first, then the first page: nothing committed in between is missed.
  void feed.ready().then(() => {
    streaming = true;
    return loadMore();
  });

  return {
    get rows() {
      return ordered;
    },
    get loading() {
      return loading;
    },
    get complete() {
      return nextCursor === null;
    },
    /** True until the first page has arrived. */
    get pending() {
      return nextCursor === undefined;
    },
    get error() {
      return error;
    },
    loadMore,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      closed = true;
      unsubscribe();
    },
  };
}

export type ConversationList = ReturnType<typeof createConversationList>;
