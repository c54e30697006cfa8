import type {
  Contact,
  Conversation,
  ConversationControl,
  Message,
  ThreadlineEvent,
} from '@threadline/client';
import { useEffect, useState } from 'preact/hooks';
import { ChannelBadge, DeliveryTicks, StatusPill } from '../components/badges';
import { MessageContent } from '../components/message-content';
import { contactLabel } from '../contact-cache';
import { useSession } from '../context';
import { channelName, fullTime, shortTime } from '../format';
import { hrefFor } from '../route';
import { useIntegrations } from '../use-integrations';
import { ControlPanel, MetadataList } from './control-panel';
import { ReplyBox } from './reply-box';

const statusRank: Record<Message['status'], number> = {
  received: 0,
  queued: 0,
  sent: 1,
  delivered: 2,
  read: 3,
  failed: 4,
};

const byTime = (a: Message, b: Message) =>
  a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id);

/** A change of control seen on the stream: shown in the timeline where it happened. */
interface Handoff {
  id: string;
  time: string;
  kind: 'passed' | 'offered' | 'accepted';
  from: string | null;
  to: string | null;
  reason?: string;
  metadata: Record<string, unknown> | null;
}

function handoffOf(event: ThreadlineEvent, conversationId: string): Handoff | undefined {
  const base = { id: event.id, time: event.time };
  switch (event.type) {
    case 'conversation.control_passed':
      if (event.data.conversationId !== conversationId) return undefined;
      return { ...base, kind: 'passed', ...event.data };
    case 'conversation.control_offered':
      if (event.data.conversationId !== conversationId) return undefined;
      return { ...base, kind: 'offered', ...event.data };
    case 'conversation.control_accepted':
      if (event.data.conversationId !== conversationId) return undefined;
      return { ...base, kind: 'accepted', ...event.data };
    default:
      return undefined;
  }
}

const handoffWords: Record<Handoff['kind'], string> = {
  passed: 'Control passed',
  offered: 'Control offered',
  accepted: 'Control accepted',
};

/** The newer copy of a message: a later update, or a further delivery state. */
function newer(existing: Message | undefined, incoming: Message): Message {
  if (!existing) return incoming;
  if (incoming.updatedAt > existing.updatedAt) return incoming;
  if (
    incoming.updatedAt === existing.updatedAt &&
    statusRank[incoming.status] > statusRank[existing.status]
  )
    return incoming;
  return existing;
}

export function ConversationView({ id }: { id: string }) {
  const { client, feed, contacts } = useSession();
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [contact, setContact] = useState<Contact | null>(null);
  const [messages, setMessages] = useState<Map<string, Message>>(new Map());
  const [problem, setProblem] = useState<string | null>(null);
  const [actionProblem, setActionProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [control, setControl] = useState<ConversationControl | undefined>(undefined);
  const [handoffs, setHandoffs] = useState<Handoff[]>([]);
  const { nameOf } = useIntegrations();

  useEffect(() => {
    let current = true;
    const pending: ThreadlineEvent[] = [];
    let loaded = false;
    let contactId: string | undefined;
    const apply = (event: ThreadlineEvent) => {
      if ('conversation' in event.data && event.data.conversation.id === id) {
        const updated = event.data.conversation;
        setConversation((existing) =>
          !existing || updated.updatedAt >= existing.updatedAt ? updated : existing,
        );
      }
      if ('message' in event.data && event.data.message.conversationId === id) {
        const message = event.data.message;
        setMessages((existing) => {
          const next = new Map(existing);
          next.set(message.id, newer(existing.get(message.id), message));
          return next;
        });
      }
      const handoff = handoffOf(event, id);
      if (handoff) {
        setHandoffs((existing) =>
          existing.some((known) => known.id === handoff.id) ? existing : [...existing, handoff],
        );
        client.conversations.get(id).then(
          (found) => current && setControl(found.control),
          () => undefined,
        );
      }
      if (event.type === 'contact.identity_linked' || event.type === 'contact.merged') {
        // a merged contact id answers with the contact it joined
        if (contactId)
          contacts.get(contactId).then(
            (found) => current && setContact(found),
            () => undefined,
          );
      }
    };
    const unsubscribe = feed.subscribe((event) => (loaded ? apply(event) : pending.push(event)));
    (async () => {
      await feed.ready();
      const found = await client.conversations.get(id);
      const history = new Map<string, Message>();
      for await (const message of client.conversations.iterateMessages(id, { limit: 200 }))
        history.set(message.id, message);
      if (!current) return;
      contactId = found.contactId;
      setConversation(found);
      setControl(found.control);
      setMessages(history);
      loaded = true;
      for (const event of pending.splice(0)) apply(event);
      setContact(await contacts.get(found.contactId));
    })().catch((error: unknown) => {
      if (current) setProblem(error instanceof Error ? error.message : String(error));
    });
    return () => {
      current = false;
      unsubscribe();
    };
  }, [client, feed, contacts, id]);

  if (problem)
    return (
      <section class="view">
        <p class="problem" role="alert">
          Could not open this conversation: {problem}
        </p>
        <a href={hrefFor.conversations()}>Back to conversations</a>
      </section>
    );
  if (!conversation)
    return (
      <section class="view">
        <p class="muted">Loading…</p>
      </section>
    );

  const timeline = [...messages.values()].sort(byTime);
  const byId = new Map(timeline.map((message) => [message.id, message]));

  async function act(change: (id: string) => Promise<Conversation>) {
    setBusy(true);
    setActionProblem(null);
    try {
      setConversation(await change(id));
    } catch (error) {
      setActionProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }
  type Item = { time: string; message?: Message; handoff?: Handoff };
  const items: Item[] = [
    ...timeline.map((message) => ({ time: message.createdAt, message })),
    ...handoffs.map((handoff) => ({ time: handoff.time, handoff })),
  ].sort((a, b) => a.time.localeCompare(b.time));

  return (
    <section class="view conversation-view" aria-labelledby="conversation-title">
      <header class="view-header conversation-header">
        <div>
          <p class="crumbs">
            <a href={hrefFor.conversations()}>Conversations</a> /
          </p>
          <h1 id="conversation-title">
            {contact ? <a href={hrefFor.contact(contact.id)}>{contactLabel(contact)}</a> : '…'}
          </h1>
          <p class="muted meta-line">
            <StatusPill status={conversation.status} /> Opened {fullTime(conversation.openedAt)}
            {conversation.lastInboundChannel && (
              <>
                {' · '}customer last wrote on{' '}
                <ChannelBadge channel={conversation.lastInboundChannel} />
              </>
            )}
          </p>
          {conversation.previousConversationId && (
            <p class="previous">
              Continues{' '}
              <a href={hrefFor.conversation(conversation.previousConversationId)}>
                the previous conversation
              </a>
            </p>
          )}
        </div>
        <div class="header-actions">
          {conversation.status === 'open' ? (
            <button
              type="button"
              class="button"
              onClick={() => act(client.conversations.resolve)}
              disabled={busy}
            >
              Resolve
            </button>
          ) : (
            <>
              <p class="muted small">
                Resolved {conversation.resolvedAt ? shortTime(conversation.resolvedAt) : ''}. A new
                message from the customer reopens it.
              </p>
              <button
                type="button"
                class="button"
                onClick={() => act(client.conversations.reopen)}
                disabled={busy}
              >
                Reopen
              </button>
            </>
          )}
          {actionProblem && (
            <p class="problem" role="alert">
              {actionProblem}
            </p>
          )}
        </div>
      </header>
      {control && <ControlPanel conversationId={id} control={control} onChanged={setControl} />}
      <ol class="timeline" aria-label="Messages, oldest first" data-testid="timeline">
        {items.map(({ message, handoff }) => {
          if (handoff)
            return (
              <li key={handoff.id} class="timeline-item">
                <div class="marker handoff" data-testid="handoff">
                  <p>
                    {handoffWords[handoff.kind]}
                    {handoff.reason ? ` (${handoff.reason})` : ''} to {nameOf(handoff.to)}
                  </p>
                  <MetadataList metadata={handoff.metadata} />
                </div>
              </li>
            );
          if (!message) return null;
          const index = timeline.indexOf(message);
          const previousInbound = timeline
            .slice(0, index)
            .reverse()
            .find((earlier) => earlier.direction === 'inbound');
          const switched =
            message.direction === 'inbound' &&
            previousInbound !== undefined &&
            previousInbound.channel !== message.channel;
          const original = message.fallbackOfId ? byId.get(message.fallbackOfId) : undefined;
          return (
            <li key={message.id} class="timeline-item">
              {switched && (
                <p class="marker">
                  The customer moved from {channelName(previousInbound.channel)} to{' '}
                  {channelName(message.channel)}
                </p>
              )}
              {message.fallbackOfId && (
                <p class="marker fallback">
                  Fallback: sent on {channelName(message.channel)}
                  {original
                    ? ` because the ${channelName(original.channel)} message was ${original.status}`
                    : ''}
                </p>
              )}
              <article
                class={`message ${message.direction}`}
                data-message-id={message.id}
                aria-label={`${message.direction === 'inbound' ? 'From the customer' : 'To the customer'} on ${channelName(message.channel)}`}
              >
                <header class="message-meta">
                  <ChannelBadge channel={message.channel} />
                  <span class="direction">
                    {message.direction === 'inbound' ? 'Customer' : 'Sent'}
                  </span>
                  <time dateTime={message.createdAt} title={fullTime(message.createdAt)}>
                    {shortTime(message.createdAt)}
                  </time>
                </header>
                <MessageContent content={message.content} />
                <DeliveryTicks message={message} />
              </article>
            </li>
          );
        })}
      </ol>
      {contact && (
        <ReplyBox
          conversation={conversation}
          contact={contact}
          onSent={(message) =>
            setMessages((existing) => {
              const next = new Map(existing);
              next.set(message.id, newer(existing.get(message.id), message));
              return next;
            })
          }
        />
      )}
    </section>
  );
}
