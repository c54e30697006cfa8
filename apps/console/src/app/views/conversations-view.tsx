import type { ConversationStatus } from '@threadline/client';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ChannelBadge, StatusPill } from '../components/badges';
import { contactLabel } from '../contact-cache';
import { useSession } from '../context';
import {
  type ConversationRow,
  createConversationList,
  type ListFilters,
} from '../conversation-list';
import { channelName, shortTime } from '../format';
import { hrefFor } from '../route';
import { useIntegrations } from '../use-integrations';

const rowHeight = 60;
/** Rows drawn above and below the visible ones. */
const overscan = 6;
const channels = ['whatsapp', 'sms', 'telegram', 'email', 'webchat'];
const statuses: ConversationStatus[] = ['open', 'resolved'];

export function ConversationsView() {
  const [filters, setFilters] = useState<ListFilters>({});
  const [search, setSearch] = useState('');
  const { integrations } = useIntegrations();
  return (
    <section class="view conversations-view" aria-labelledby="conversations-title">
      <header class="view-header">
        <h1 id="conversations-title">Conversations</h1>
        <form
          class="filters"
          aria-label="Filter conversations"
          onSubmit={(event) => {
            event.preventDefault();
            const address = search.trim();
            setFilters(({ address: _old, ...rest }) => (address ? { ...rest, address } : rest));
          }}
        >
          <label>
            <span>Status</span>
            <select
              value={filters.status ?? ''}
              onChange={(event) => {
                const status = event.currentTarget.value as ConversationStatus | '';
                setFilters(({ status: _old, ...rest }) => (status ? { ...rest, status } : rest));
              }}
            >
              <option value="">Any status</option>
              {statuses.map((status) => (
                <option key={status} value={status}>
                  {status}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>Channel</span>
            <select
              value={filters.channel ?? ''}
              onChange={(event) => {
                const channel = event.currentTarget.value;
                setFilters(({ channel: _old, ...rest }) => (channel ? { ...rest, channel } : rest));
              }}
            >
              <option value="">Any channel</option>
              {channels.map((channel) => (
                <option key={channel} value={channel}>
                  {channelName(channel)}
                </option>
              ))}
            </select>
          </label>
          {integrations.length > 0 && (
            <label>
              <span>In control</span>
              <select
                value={filters.integrationId ?? ''}
                onChange={(event) => {
                  const integrationId = event.currentTarget.value;
                  setFilters(({ integrationId: _old, ...rest }) =>
                    integrationId ? { ...rest, integrationId } : rest,
                  );
                }}
              >
                <option value="">Any integration</option>
                {integrations.map((integration) => (
                  <option key={integration.id} value={integration.id}>
                    {integration.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label class="grow">
            <span>Contact address</span>
            <input
              type="search"
              placeholder="+15551234567, chat id, email…"
              value={search}
              onInput={(event) => setSearch(event.currentTarget.value)}
            />
          </label>
          <button type="submit" class="button">
            Search
          </button>
        </form>
      </header>
      <ConversationList key={JSON.stringify(filters)} filters={filters} />
    </section>
  );
}

function ConversationList({ filters }: { filters: ListFilters }) {
  const session = useSession();
  const list = useMemo(
    () => createConversationList(session.client, session.feed, session.previews, filters),
    [session, filters],
  );
  const [, setVersion] = useState(0);
  useEffect(() => {
    const unsubscribe = list.subscribe(() => setVersion((value) => value + 1));
    return () => {
      unsubscribe();
      list.close();
    };
  }, [list]);

  const viewport = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const rows = list.rows;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  // near the end of what is loaded: fetch the next page
  useEffect(() => {
    if (last >= rows.length - overscan && !list.complete && !list.loading) void list.loadMore();
  }, [last, rows.length, list]);

  return (
    <div class="list-panel">
      <p class="list-summary muted" aria-live="polite">
        {rows.length} conversation{rows.length === 1 ? '' : 's'}
        {list.complete ? '' : ' loaded so far'}
        {list.loading || list.pending ? ' · loading…' : ''}
      </p>
      {list.error && (
        <p class="problem" role="alert">
          Could not load conversations: {list.error}
        </p>
      )}
      <div
        class="list-viewport"
        ref={viewport}
        onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
        data-testid="conversation-list"
      >
        <ul
          class="conversation-rows"
          aria-label="Conversations, latest activity first"
          style={{ height: `${rows.length * rowHeight}px` }}
        >
          {rows.slice(first, last).map((row, index) => (
            <ConversationRowItem
              key={row.conversation.id}
              row={row}
              top={(first + index) * rowHeight}
            />
          ))}
        </ul>
        {rows.length === 0 && list.complete && (
          <p class="empty">
            No conversations{Object.keys(filters).length ? ' match these filters' : ' yet'}.
          </p>
        )}
      </div>
    </div>
  );
}

function ConversationRowItem({ row, top }: { row: ConversationRow; top: number }) {
  const { contacts } = useSession();
  const { conversation, preview } = row;
  const [label, setLabel] = useState<string | null>(null);
  const [address, setAddress] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    contacts.get(conversation.contactId).then(
      (contact) => {
        if (!current) return;
        setLabel(contactLabel(contact));
        const identity = contact.identities.find(
          (candidate) => candidate.channel === conversation.lastInboundChannel,
        );
        setAddress(identity && contact.name ? identity.address : null);
      },
      () => current && setLabel(conversation.contactId),
    );
    return () => {
      current = false;
    };
  }, [contacts, conversation.contactId, conversation.lastInboundChannel]);
  return (
    <li
      class="conversation-row"
      style={{ top: `${top}px`, height: `${rowHeight}px` }}
      data-conversation-id={conversation.id}
    >
      <a href={hrefFor.conversation(conversation.id)}>
        <span class="row-main">
          <span class="row-title">{label ?? '…'}</span>
          <span class="row-preview muted">
            {preview
              ? `${preview.direction === 'outbound' ? 'You: ' : ''}${preview.text}`
              : (address ?? ' ')}
          </span>
        </span>
        <span class="row-meta">
          <time dateTime={conversation.lastMessageAt}>{shortTime(conversation.lastMessageAt)}</time>
          <span class="row-badges">
            {conversation.lastInboundChannel && (
              <ChannelBadge channel={conversation.lastInboundChannel} />
            )}
            <StatusPill status={conversation.status} />
          </span>
        </span>
      </a>
    </li>
  );
}
