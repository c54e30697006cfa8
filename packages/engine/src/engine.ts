import {
  type ConnectorV1,
  type InboundEvent,
  type InboundMessage,
  type IngestReceipt,
  isPhoneChannel,
  matchChoice,
  type OutboundMessage,
  renderForChannel,
  ThreadlineError,
  toErrorDisposition,
} from '@threadline/connector-kit';
import {
  type Address,
  type Button,
  type Channel,
  type Contact,
  type Content,
  type Conversation,
  type EventData,
  type EventType,
  type Identity,
  type IdentitySource,
  isStatusAdvance,
  type Message,
  type MessageError,
  type MessageStatus,
  type ThreadlineEvent,
} from '@threadline/schema';
import { type BackoffPolicy, defaultSendBackoff, nextRetryDelay } from './backoff.js';
import { createIdGenerator, systemClock } from './clock.js';
import { decideContinuity } from './continuity.js';
import { createStoreJobQueue, type JobQueue, type SendRateLimiter } from './job-queue.js';
import type {
  Clock,
  ContactRecord,
  IdGenerator,
  Job,
  NewJob,
  Store,
  StoreTransaction,
} from './ports.js';
import { RateLimiter } from './rate-limiter.js';
import { chooseRoute } from './routing.js';
import { controlTimeoutJobKind, createSwitchboard } from './switchboard/switchboard.js';

/** Which identities join automatically. Everything else needs an explicit link or merge. */
export interface IdentityPolicy {
  /** WhatsApp and SMS on the same E.164 number are one contact. */
  linkSamePhone: boolean;
  /** Verified claims from these sources link (and merge) automatically. */
  autoLinkSources: IdentitySource[];
  /** Claims made by senders on these channels may auto-link (SMS sender ids can be spoofed). */
  autoLinkFromChannels: Channel[];
  /** An email reply from a second address to one of our messages: `record` it, or `link` the address. */
  emailThreadSender: 'record' | 'link';
}

export const defaultIdentityPolicy: IdentityPolicy = {
  linkSamePhone: true,
  autoLinkSources: ['contact_share', 'identity_token'],
  autoLinkFromChannels: ['telegram', 'webchat', 'whatsapp', 'email'],
  emailThreadSender: 'record',
};

export type FallbackCondition = 'failed' | 'undelivered' | 'unread';

export interface FallbackRule {
  channel: Channel;
  when: FallbackCondition;
  /** For `undelivered` and `unread`: how long to wait for the status. */
  afterMs?: number;
}

export interface SendRequest {
  contactId?: string;
  to?: Address;
  channel?: Channel;
  connectorId?: string;
  content: Content;
  replyToId?: string;
  fallback?: FallbackRule[];
  channelData?: Record<string, unknown>;
  /** Switchboard: the integration sending (from its API key), and whether it takes control. */
  integrationId?: string | null;
  takeControl?: boolean;
}

export interface EngineOptions {
  store: Store;
  /** Connectors by id, in configuration order (routing prefers the first of a channel). */
  connectors: Map<string, ConnectorV1> | (() => Map<string, ConnectorV1>);
  clock?: Clock;
  ids?: IdGenerator;
  /** A new inbound message within this window joins or reopens the conversation. Default 24 h. */
  continuityWindowMs?: number;
  identityPolicy?: Partial<IdentityPolicy>;
  sendBackoff?: BackoffPolicy;
  /** How long a claimed job is leased before another worker may take it. */
  jobLeaseMs?: number;
  /** Provider calls in flight at once per worker (jobs of different conversations). Default 16. */
  sendConcurrency?: number;
  /** The outbound job queue; default: the store's own outbox (embedded). */
  queue?: JobQueue;
  /** Per-connector send rate limits; default: in this process. */
  rateLimiter?: SendRateLimiter;
  inboxId?: string;
  random?: () => number;
  /** Called with the events of every commit, in cursor order, after the commit. */
  onCommitted?: (events: ThreadlineEvent[]) => void;
  log?: (
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
}

export class EngineError extends ThreadlineError {
  override name = 'EngineError';
}

const dayMs = 24 * 60 * 60 * 1000;
const finalStatuses: MessageStatus[] = ['read', 'failed'];

/** A unit of work inside one transaction: collects the events it appends. */
export interface Unit {
  tx: StoreTransaction;
  events: ThreadlineEvent[];
  now: Date;
  /** Jobs written to the outbox in this transaction. */
  jobs: Job[];
  /** Jobs this transaction finished (completed after commit when the queue is external). */
  completed: Job[];
}

export type Engine = ReturnType<typeof createEngine>;

/**
 * The functional core. Depends only on its ports (store, clock, ids) and the connector
 * contract; knows no provider and no HTTP.
 */
export function createEngine(options: EngineOptions) {
  const store = options.store;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? createIdGenerator(clock);
  const windowMs = options.continuityWindowMs ?? dayMs;
  const policy: IdentityPolicy = { ...defaultIdentityPolicy, ...options.identityPolicy };
  const backoff = options.sendBackoff ?? defaultSendBackoff;
  const leaseMs = options.jobLeaseMs ?? 60_000;
  const sendConcurrency = Math.max(1, options.sendConcurrency ?? 16);
  const inboxId = options.inboxId ?? 'default';
  const random = options.random ?? Math.random;
  const limiter: SendRateLimiter = options.rateLimiter ?? new RateLimiter();
  const queue: JobQueue = options.queue ?? createStoreJobQueue(store);
  const log = options.log ?? (() => {});
  const connectors = () =>
    typeof options.connectors === 'function' ? options.connectors() : options.connectors;

  const iso = (date: Date) => date.toISOString();

  async function transact<T>(work: (unit: Unit) => Promise<T>): Promise<T> {
    let committed: Unit | undefined;
    const result = await store.write(async (tx) => {
      const unit: Unit = { tx, events: [], now: clock.now(), jobs: [], completed: [] };
      const value = await work(unit);
      committed = unit;
      return value;
    });
    if (committed && committed.events.length > 0) options.onCommitted?.(committed.events);
    if (committed && !queue.inStore) await handOver(committed.jobs, committed.completed);
    return result;
  }

  /** External queue: hand committed outbox jobs over, then clear them from the outbox. */
  async function handOver(jobs: Job[], completed: Job[]): Promise<void> {
    if (jobs.length > 0) {
      await queue.enqueue(jobs);
      await store.write(async (tx) => {
        for (const job of jobs) await tx.completeJob(job.id);
      });
    }
    for (const job of completed) await queue.complete(job);
  }

  async function addJob(unit: Unit, job: NewJob): Promise<void> {
    await unit.tx.insertJob(job);
    unit.jobs.push({ ...job, attempts: 0, lastError: null });
  }

  /** Finish a job with the transaction that did its work. */
  async function finishJob(unit: Unit, job: Job): Promise<void> {
    if (queue.inStore) await unit.tx.completeJob(job.id);
    else unit.completed.push(job);
  }

  /**
   * External queue: jobs left in the outbox by a crash between commit and hand-over are
   * handed over again (enqueue is idempotent by job id).
   */
  async function relayOutbox(olderThanMs = 2_000): Promise<number> {
    if (queue.inStore) return 0;
    const cutoff = new Date(clock.now().getTime() - olderThanMs).toISOString();
    const stranded = (await store.read.listJobs()).filter((job) => job.createdAt <= cutoff);
    await handOver(stranded, []);
    return stranded.length;
  }

  async function emit<T extends EventType>(unit: Unit, type: T, data: EventData<T>): Promise<void> {
    unit.events.push(await unit.tx.appendEvent(type, data, iso(unit.now), ids.next()));
  }

  // switchboard hook: control of conversations (rules in ./switchboard)
  const switchboard = createSwitchboard<Unit>({
    ids,
    read: store.read,
    transact,
    emit,
    addJob,
    finishJob,
  });

  function connectorOrThrow(connectorId: string): ConnectorV1 {
    const connector = connectors().get(connectorId);
    if (!connector)
      throw new EngineError('not_found', `no connector "${connectorId}" is configured`);
    return connector;
  }

  // ---------------------------------------------------------------- contacts and identity

  async function toContact(
    reader: StoreTransaction | Store['read'],
    record: ContactRecord,
  ): Promise<Contact> {
    const { mergedIntoId: _merged, ...contact } = record;
    return { ...contact, identities: await reader.listIdentities(record.id) };
  }

  /** Follows merges: the contact an id now stands for. */
  async function liveContact(
    reader: StoreTransaction | Store['read'],
    id: string,
  ): Promise<ContactRecord | undefined> {
    let record = await reader.getContact(id);
    for (let hops = 0; record?.mergedIntoId && hops < 16; hops++)
      record = await reader.getContact(record.mergedIntoId);
    return record;
  }

  function newIdentity(
    address: Address,
    source: IdentitySource,
    verified: boolean,
    now: Date,
  ): Identity {
    return {
      channel: address.channel,
      address: address.address,
      verified,
      source,
      createdAt: iso(now),
    };
  }

  async function createContact(
    unit: Unit,
    address: Address,
    name: string | null,
  ): Promise<ContactRecord> {
    const record: ContactRecord = {
      id: ids.next(),
      name,
      channelPreference: [],
      optedOut: [],
      createdAt: iso(unit.now),
      updatedAt: iso(unit.now),
      mergedIntoId: null,
    };
    await unit.tx.insertContact(record);
    await unit.tx.insertIdentity(record.id, newIdentity(address, 'inbound', true, unit.now));
    return record;
  }

  /** The contact behind an address, creating it (and linking the same phone on a sibling channel). */
  async function resolveContact(
    unit: Unit,
    address: Address,
    name: string | null,
  ): Promise<ContactRecord> {
    const found = await unit.tx.findIdentity(address);
    if (found) return (await liveContact(unit.tx, found.contactId))!;
    if (policy.linkSamePhone && isPhoneChannel(address.channel)) {
      for (const sibling of ['whatsapp', 'sms'] as const) {
        if (sibling === address.channel) continue;
        const match = await unit.tx.findIdentity({ channel: sibling, address: address.address });
        if (match) {
          const contact = (await liveContact(unit.tx, match.contactId))!;
          const identity = newIdentity(address, 'same_phone', true, unit.now);
          await unit.tx.insertIdentity(contact.id, identity);
          await emit(unit, 'contact.identity_linked', {
            contactId: contact.id,
            identity,
            reason: `same phone number as the ${sibling} identity`,
          });
          return contact;
        }
      }
    }
    return createContact(unit, address, name);
  }

  /** Merge `mergedId` into `survivorId`: identities, conversations and messages move; open conversations fold. */
  async function mergeInto(
    unit: Unit,
    survivorId: string,
    mergedId: string,
    reason: string,
  ): Promise<ContactRecord> {
    const survivor = (await liveContact(unit.tx, survivorId))!;
    const merged = (await liveContact(unit.tx, mergedId))!;
    if (survivor.id === merged.id) return survivor;
    const survivorOpen = await unit.tx.findLatestConversation(survivor.id, inboxId);
    const mergedOpen = await unit.tx.findLatestConversation(merged.id, inboxId);
    const movedIdentities = await unit.tx.moveIdentities(merged.id, survivor.id);
    const movedConversationIds = await unit.tx.reassignContact(merged.id, survivor.id);
    if (survivorOpen?.status === 'open' && mergedOpen?.status === 'open') {
      // One open conversation per contact: fold the later-opened into the earlier one.
      const [keep, fold] =
        survivorOpen.openedAt <= mergedOpen.openedAt
          ? [survivorOpen, mergedOpen]
          : [mergedOpen, survivorOpen];
      await unit.tx.moveMessages(fold.id, keep.id);
      const latest = fold.lastMessageAt > keep.lastMessageAt ? fold : keep;
      const kept: Conversation = {
        ...keep,
        contactId: survivor.id,
        lastMessageAt: latest.lastMessageAt,
        lastInboundAt: maxTime(keep.lastInboundAt, fold.lastInboundAt),
        lastInboundChannel:
          (keep.lastInboundAt ?? '') >= (fold.lastInboundAt ?? '')
            ? keep.lastInboundChannel
            : fold.lastInboundChannel,
        lastInboundConnectorId:
          (keep.lastInboundAt ?? '') >= (fold.lastInboundAt ?? '')
            ? keep.lastInboundConnectorId
            : fold.lastInboundConnectorId,
        updatedAt: iso(unit.now),
      };
      await unit.tx.updateConversation(kept);
      await unit.tx.updateConversation({
        ...fold,
        contactId: survivor.id,
        status: 'resolved',
        resolvedAt: iso(unit.now),
        mergedIntoId: keep.id,
        updatedAt: iso(unit.now),
      });
    }
    const updatedSurvivor: ContactRecord = {
      ...survivor,
      name: survivor.name ?? merged.name,
      optedOut: [...new Set([...survivor.optedOut, ...merged.optedOut])],
      channelPreference: [...new Set([...survivor.channelPreference, ...merged.channelPreference])],
      updatedAt: iso(unit.now),
    };
    await unit.tx.updateContact(updatedSurvivor);
    await unit.tx.updateContact({ ...merged, mergedIntoId: survivor.id, updatedAt: iso(unit.now) });
    await emit(unit, 'contact.merged', {
      contactId: survivor.id,
      mergedContactId: merged.id,
      reason,
      movedConversationIds,
      movedIdentities,
    });
    return updatedSurvivor;
  }

  /** Join `address` to `contact`: add it, or merge the contact that already has it (older survives). */
  async function link(
    unit: Unit,
    contact: ContactRecord,
    address: Address,
    source: IdentitySource,
    verified: boolean,
    reason: string,
  ): Promise<ContactRecord> {
    const existing = await unit.tx.findIdentity(address);
    if (existing) {
      const owner = (await liveContact(unit.tx, existing.contactId))!;
      if (owner.id === contact.id) return contact;
      const [survivor, merged] =
        owner.createdAt <= contact.createdAt ? [owner, contact] : [contact, owner];
      return mergeInto(unit, survivor.id, merged.id, reason);
    }
    const identity = newIdentity(address, source, verified, unit.now);
    await unit.tx.insertIdentity(contact.id, identity);
    await emit(unit, 'contact.identity_linked', { contactId: contact.id, identity, reason });
    return contact;
  }

  // ---------------------------------------------------------------- inbound

  async function placeInConversation(
    unit: Unit,
    contact: ContactRecord,
    message: InboundMessage,
    channel: Channel,
    connectorId: string,
  ): Promise<Conversation> {
    // An email reply to one of our messages joins that thread, even from a second address.
    for (const reference of [...(message.references ?? [])].reverse()) {
      const referenced = await unit.tx.findMessageByExternalId(connectorId, reference);
      if (!referenced) continue;
      const threaded = await unit.tx.getConversation(referenced.conversationId);
      if (!threaded) continue;
      const target = threaded.mergedIntoId
        ? ((await unit.tx.getConversation(threaded.mergedIntoId)) ?? threaded)
        : threaded;
      if (target.status === 'resolved' && !message.automated) {
        const reopened = {
          ...target,
          status: 'open' as const,
          resolvedAt: null,
          updatedAt: iso(unit.now),
        };
        await unit.tx.updateConversation(reopened);
        await emit(unit, 'conversation.reopened', { conversation: reopened });
        return reopened;
      }
      return target;
    }
    const latest = await unit.tx.findLatestConversation(contact.id, inboxId);
    const decision = decideContinuity(latest, unit.now, windowMs, {
      automated: message.automated ?? false,
    });
    switch (decision.action) {
      case 'join':
      case 'attach':
        return decision.conversation;
      case 'reopen': {
        const reopened = {
          ...decision.conversation,
          status: 'open' as const,
          resolvedAt: null,
          updatedAt: iso(unit.now),
        };
        await unit.tx.updateConversation(reopened);
        await emit(unit, 'conversation.reopened', { conversation: reopened });
        return reopened;
      }
      case 'open': {
        if (decision.expire) {
          const expired = {
            ...decision.expire,
            status: 'resolved' as const,
            resolvedAt: iso(unit.now),
            updatedAt: iso(unit.now),
          };
          await unit.tx.updateConversation(expired);
          await emit(unit, 'conversation.resolved', { conversation: expired });
        }
        const conversation: Conversation = {
          id: ids.next(),
          contactId: contact.id,
          inboxId,
          status: 'open',
          previousConversationId: decision.previous?.id ?? null,
          lastInboundChannel: channel,
          lastInboundConnectorId: connectorId,
          lastInboundAt: iso(unit.now),
          lastMessageAt: iso(unit.now),
          openedAt: iso(unit.now),
          resolvedAt: null,
          mergedIntoId: null,
          updatedAt: iso(unit.now),
        };
        await unit.tx.insertConversation(conversation);
        await emit(unit, 'conversation.opened', { conversation });
        return conversation;
      }
    }
  }

  async function ingestMessage(
    unit: Unit,
    connector: ConnectorV1,
    inbound: InboundMessage,
  ): Promise<IngestReceipt> {
    const duplicate = await unit.tx.findMessageByExternalId(connector.id, inbound.externalId);
    if (duplicate)
      return { messageId: duplicate.id, conversationId: duplicate.conversationId, duplicate: true };

    const conversationAddress = inbound.conversationAddress ?? inbound.from;
    let contact = await resolveContact(
      unit,
      conversationAddress,
      inbound.conversationAddress ? null : (inbound.senderName ?? null),
    );
    for (const claim of inbound.identityClaims ?? []) {
      const trusted =
        claim.verified &&
        policy.autoLinkSources.includes(claim.source) &&
        policy.autoLinkFromChannels.includes(inbound.from.channel);
      if (trusted) {
        contact = await link(
          unit,
          contact,
          claim.address,
          claim.source,
          true,
          `${claim.source} from ${inbound.from.channel} ${inbound.from.address}`,
        );
      }
    }

    const conversation = await placeInConversation(
      unit,
      contact,
      inbound,
      connector.channel,
      connector.id,
    );
    const channelData: Record<string, unknown> = { ...inbound.channelData };
    if (conversation.contactId !== contact.id) {
      channelData.threadContactId = conversation.contactId;
      if (policy.emailThreadSender === 'link') {
        const owner = (await liveContact(unit.tx, conversation.contactId))!;
        contact = await link(
          unit,
          owner,
          conversationAddress,
          'email_thread',
          false,
          'replied to a thread of this contact',
        );
      }
    }
    if (inbound.conversationAddress) channelData.conversationAddress = inbound.conversationAddress;
    if (inbound.senderName) channelData.senderName = inbound.senderName;
    if (inbound.identityClaims?.length) channelData.identityClaims = inbound.identityClaims;
    if (inbound.automated) channelData.automated = true;

    let content = inbound.content;
    if (content.type === 'text' && !content.attachments?.length) {
      const previous = await unit.tx.findLatestOutbound(conversation.id);
      const choices = previous?.channelData.choices as Button[] | undefined;
      const answer = choices ? matchChoice(content.text, choices) : undefined;
      if (answer) {
        channelData.choiceText = content.text;
        content = answer;
      }
    }

    const optOut = inbound.channelData?.optOut;
    if ((optOut === 'stop' || optOut === 'start') && conversation.contactId === contact.id) {
      const optedOut = new Set(contact.optedOut);
      if (optOut === 'stop') optedOut.add(connector.channel);
      else optedOut.delete(connector.channel);
      contact = { ...contact, optedOut: [...optedOut], updatedAt: iso(unit.now) };
      await unit.tx.updateContact(contact);
    }

    const replyTo = inbound.replyToExternalId
      ? await unit.tx.findMessageByExternalId(connector.id, inbound.replyToExternalId)
      : undefined;
    const message: Message = {
      id: ids.next(),
      conversationId: conversation.id,
      contactId: contact.id,
      channel: connector.channel,
      connectorId: connector.id,
      direction: 'inbound',
      from: inbound.from,
      to: inbound.to ?? { channel: connector.channel, address: connector.id },
      externalId: inbound.externalId,
      replyToId: replyTo?.id ?? null,
      content,
      status: 'received',
      error: null,
      createdAt: inbound.createdAt ?? iso(unit.now),
      updatedAt: iso(unit.now),
      fallbackOfId: null,
      channelData,
    };
    await unit.tx.insertMessage(message);

    const switched =
      conversation.lastInboundChannel !== null &&
      conversation.lastInboundChannel !== connector.channel;
    const updated: Conversation = {
      ...conversation,
      lastInboundChannel: connector.channel,
      lastInboundConnectorId: connector.id,
      lastInboundAt: iso(unit.now),
      lastMessageAt: maxTime(conversation.lastMessageAt, iso(unit.now))!,
      updatedAt: iso(unit.now),
    };
    await unit.tx.updateConversation(updated);
    // switchboard hook: control as of this message; starts the response timeout
    await emit(unit, 'message.received', {
      message,
      ...(await switchboard.onCustomerMessage(unit, message)),
    });
    if (switched) {
      await emit(unit, 'conversation.channel_switched', {
        conversation: updated,
        fromChannel: conversation.lastInboundChannel!,
        toChannel: connector.channel,
        messageId: message.id,
      });
    }
    return { messageId: message.id, conversationId: conversation.id, duplicate: false };
  }

  async function applyStatus(
    unit: Unit,
    message: Message,
    status: MessageStatus,
    error: MessageError | undefined,
  ): Promise<boolean> {
    if (!isStatusAdvance(message.status, status)) return false;
    const updated: Message = {
      ...message,
      status,
      error: status === 'failed' ? (error ?? message.error) : message.error,
      updatedAt: iso(unit.now),
    };
    await unit.tx.updateMessage(updated);
    await emit(unit, 'message.status_updated', {
      message: updated,
      previousStatus: message.status,
    });
    if (status === 'failed') await fireFallback(unit, updated, 'failed');
    return true;
  }

  async function ingestEvent(
    unit: Unit,
    connector: ConnectorV1,
    event: InboundEvent,
  ): Promise<IngestReceipt> {
    switch (event.type) {
      case 'message':
        return ingestMessage(unit, connector, event.message);
      case 'status': {
        const message = await unit.tx.findMessageByExternalId(connector.id, event.externalId);
        if (!message) {
          // The callback can beat our write of the provider id: keep it until the id is known.
          await unit.tx.insertPendingStatus({
            connectorId: connector.id,
            externalId: event.externalId,
            event: event as unknown as Record<string, unknown>,
            receivedAt: iso(unit.now),
          });
          return { messageId: null, conversationId: null, duplicate: false };
        }
        const changed = await applyStatus(unit, message, event.status, event.error);
        return {
          messageId: message.id,
          conversationId: message.conversationId,
          duplicate: !changed,
        };
      }
      case 'edit': {
        const message = await unit.tx.findMessageByExternalId(connector.id, event.externalId);
        if (!message) return { messageId: null, conversationId: null, duplicate: false };
        if (JSON.stringify(message.content) === JSON.stringify(event.content)) {
          return { messageId: message.id, conversationId: message.conversationId, duplicate: true };
        }
        const edited: Message = {
          ...message,
          content: event.content,
          updatedAt: iso(unit.now),
          channelData: { ...message.channelData, editedAt: event.editedAt ?? iso(unit.now) },
        };
        await unit.tx.updateMessage(edited);
        await emit(unit, 'message.edited', { message: edited, previousContent: message.content });
        return { messageId: message.id, conversationId: message.conversationId, duplicate: false };
      }
      case 'deletion': {
        const message = await unit.tx.findMessageByExternalId(connector.id, event.externalId);
        if (!message || message.channelData.deletedAt) {
          return {
            messageId: message?.id ?? null,
            conversationId: message?.conversationId ?? null,
            duplicate: Boolean(message),
          };
        }
        const deleted: Message = {
          ...message,
          updatedAt: iso(unit.now),
          channelData: { ...message.channelData, deletedAt: event.deletedAt ?? iso(unit.now) },
        };
        await unit.tx.updateMessage(deleted);
        await emit(unit, 'message.deleted', { message: deleted });
        return { messageId: message.id, conversationId: message.conversationId, duplicate: false };
      }
      case 'ignored':
        await unit.tx.insertQuarantine({
          id: ids.next(),
          connectorId: connector.id,
          kind: 'ignored',
          reason: `${event.kind}: ${event.reason}`,
          path: null,
          contentType: 'application/json',
          body: JSON.stringify(event),
          receivedAt: iso(unit.now),
          replayedAt: null,
        });
        return { messageId: null, conversationId: null, duplicate: false };
    }
  }

  /**
   * Persist what a provider sent, in one transaction: dedupe, identity, continuity, message
   * and events. Resolves once durable — only then may the provider be acknowledged.
   */
  async function ingest(connectorId: string, events: InboundEvent[]): Promise<IngestReceipt[]> {
    const connector = connectorOrThrow(connectorId);
    if (events.length === 0) return [];
    return transact(async (unit) => {
      const receipts: IngestReceipt[] = [];
      for (const event of events) receipts.push(await ingestEvent(unit, connector, event));
      return receipts;
    });
  }

  // ---------------------------------------------------------------- outbound

  async function outboundFrom(
    unit: Unit,
    contactId: string,
    connector: ConnectorV1,
  ): Promise<Address> {
    const latest = await unit.tx.findLatestInbound(contactId, { connectorId: connector.id });
    return latest?.to ?? { channel: connector.channel, address: connector.id };
  }

  async function failMessage(unit: Unit, message: Message, error: MessageError): Promise<Message> {
    const failed: Message = { ...message, status: 'failed', error, updatedAt: iso(unit.now) };
    await unit.tx.updateMessage(failed);
    await emit(unit, 'message.status_updated', { message: failed, previousStatus: message.status });
    await fireFallback(unit, failed, 'failed');
    return failed;
  }

  /**
   * Create the outbound message(s) for one route, queued, with a durable send job each.
   * A route a connector refuses, or a channel the customer opted out of, fails at once
   * (so `failed` fallbacks fire).
   */
  async function queueOutbound(
    unit: Unit,
    contact: ContactRecord,
    conversation: Conversation,
    connector: ConnectorV1,
    request: SendRequest,
    fallbackOfId: string | null,
  ): Promise<Message> {
    const identities = await unit.tx.listIdentities(contact.id);
    const identity =
      identities.find(
        (candidate) =>
          candidate.channel === connector.channel && candidate.source !== 'identity_token',
      ) ??
      identities.find((candidate) => candidate.channel === connector.channel) ??
      // WhatsApp and SMS reach the same E.164 number.
      (policy.linkSamePhone && isPhoneChannel(connector.channel)
        ? identities.find((candidate) => isPhoneChannel(candidate.channel))
        : undefined);
    const latestHere = await unit.tx.findLatestInbound(contact.id, { connectorId: connector.id });
    const replyAddress =
      (latestHere?.channelData.conversationAddress as Address | undefined) ?? undefined;
    const to: Address | undefined =
      request.to?.channel === connector.channel
        ? request.to
        : (replyAddress ??
          (identity ? { channel: identity.channel, address: identity.address } : undefined));
    const base: Message = {
      id: ids.next(),
      conversationId: conversation.id,
      contactId: contact.id,
      channel: connector.channel,
      connectorId: connector.id,
      direction: 'outbound',
      from: await outboundFrom(unit, contact.id, connector),
      to: to ?? { channel: connector.channel, address: 'unknown' },
      externalId: null,
      replyToId: request.replyToId ?? null,
      content: request.content,
      status: 'queued',
      error: null,
      createdAt: iso(unit.now),
      updatedAt: iso(unit.now),
      fallbackOfId,
      channelData: {
        ...request.channelData,
        ...(request.fallback?.length ? { fallback: request.fallback } : {}),
      },
    };

    const refuse = async (error: MessageError) => {
      await unit.tx.insertMessage(base);
      return failMessage(unit, base, error);
    };
    if (!to)
      return refuse({
        code: 'recipient_unknown',
        message: `the contact has no ${connector.channel} address`,
        retryable: false,
      });
    if (contact.optedOut.includes(connector.channel)) {
      return refuse({
        code: 'recipient_opted_out',
        message: `the customer opted out of ${connector.channel}`,
        retryable: false,
      });
    }
    const refusal = connector.checkRoute?.({
      to,
      content: request.content,
      lastInboundAt: latestHere ? new Date(latestHere.createdAt) : null,
      now: unit.now,
    });
    if (refusal) return refuse({ code: refusal.code, message: refusal.message, retryable: false });

    let rendered: ReturnType<typeof renderForChannel>;
    try {
      rendered = renderForChannel(request.content, connector.capabilities, connector.channel);
    } catch (error) {
      const disposition = toErrorDisposition(error);
      return refuse({ code: disposition.code, message: disposition.message, retryable: false });
    }
    if (rendered.parts.length === 0) {
      return refuse({
        code: 'unsupported_content',
        message: 'nothing to send on this channel',
        retryable: false,
      });
    }

    const parts: Message[] = rendered.parts.map((part, index) => ({
      ...base,
      id: index === 0 ? base.id : ids.next(),
      content: index === 0 ? request.content : part,
      channelData: {
        ...base.channelData,
        ...(index === 0 && (rendered.parts.length > 1 || part !== request.content)
          ? { rendered: part }
          : {}),
        ...(index > 0 ? { partOfId: base.id, partIndex: index } : {}),
        ...(rendered.choices && index === rendered.parts.length - 1
          ? { choices: rendered.choices }
          : {}),
      },
    }));
    if (parts.length > 1) parts[0]!.channelData.partIds = parts.slice(1).map((part) => part.id);
    for (const part of parts) {
      await unit.tx.insertMessage(part);
      await addJob(unit, {
        id: ids.next(),
        kind: 'send',
        orderKey: conversation.id,
        connectorId: connector.id,
        payload: { messageId: part.id },
        runAt: iso(unit.now),
        createdAt: iso(unit.now),
      });
    }
    const rules = request.fallback ?? [];
    for (const [index, rule] of rules.entries()) {
      if (rule.when === 'failed') continue;
      await addJob(unit, {
        id: ids.next(),
        kind: 'fallback',
        orderKey: null,
        connectorId: null,
        payload: { messageId: base.id, ruleIndex: index },
        runAt: iso(new Date(unit.now.getTime() + (rule.afterMs ?? 5 * 60_000))),
        createdAt: iso(unit.now),
      });
    }
    return parts[0]!;
  }

  /** Fire the first matching fallback rule of a message, once. The copy is a new message. */
  async function fireFallback(
    unit: Unit,
    message: Message,
    condition: FallbackCondition,
    ruleIndex?: number,
  ): Promise<void> {
    const rules = (message.channelData.fallback as FallbackRule[] | undefined) ?? [];
    const index = ruleIndex ?? rules.findIndex((rule) => rule.when === condition);
    const rule = rules[index];
    if (!rule || rule.when !== condition) return;
    const fired = (message.channelData.fallbackFired as Record<string, string> | undefined) ?? {};
    if (fired[String(index)]) return;
    const contact = await liveContact(unit.tx, message.contactId);
    const conversation = await unit.tx.getConversation(message.conversationId);
    if (!contact || !conversation) return;
    const route = chooseRoute({
      channel: rule.channel,
      conversation,
      latestInbound: undefined,
      identities: await unit.tx.listIdentities(contact.id),
      channelPreference: contact.channelPreference,
      connectors: [...connectors().values()].map((connector) => ({
        connectorId: connector.id,
        channel: connector.channel,
      })),
    });
    const marked: Message = {
      ...message,
      updatedAt: iso(unit.now),
      channelData: {
        ...message.channelData,
        fallbackFired: { ...fired, [String(index)]: 'pending' },
      },
    };
    await unit.tx.updateMessage(marked);
    if (!route) {
      log('warn', 'fallback has no route', { messageId: message.id, channel: rule.channel });
      return;
    }
    const copy = await queueOutbound(
      unit,
      contact,
      conversation,
      connectorOrThrow(route.connectorId),
      {
        content: message.content,
        fallback: rules.slice(index + 1),
        channelData: { fallbackReason: condition },
      },
      message.id,
    );
    const latest = (await unit.tx.getMessage(message.id)) ?? marked;
    await unit.tx.updateMessage({
      ...latest,
      channelData: { ...latest.channelData, fallbackFired: { ...fired, [String(index)]: copy.id } },
    });
  }

  /** Send a message to a contact. Persisted as `queued` with a durable job before this resolves. */
  async function send(
    request: SendRequest,
    options: {
      /** Runs in the same transaction once the message is queued (an idempotency record). */
      inTransaction?: (transaction: StoreTransaction, message: Message) => Promise<void>;
    } = {},
  ): Promise<Message> {
    return transact(async (unit) => {
      let contact: ContactRecord | undefined;
      if (request.contactId) {
        contact = await liveContact(unit.tx, request.contactId);
        if (!contact) throw new EngineError('not_found', `no contact ${request.contactId}`);
      } else if (request.to) {
        const found = await unit.tx.findIdentity(request.to);
        contact = found
          ? await liveContact(unit.tx, found.contactId)
          : await createContact(unit, request.to, null);
      } else {
        throw new EngineError('validation_failed', 'a message needs contactId or to');
      }
      const contactId = contact!.id;
      let conversation = await unit.tx.findLatestConversation(contactId, inboxId);
      if (
        !conversation ||
        (conversation.status === 'resolved' &&
          unit.now.getTime() - new Date(conversation.lastMessageAt).getTime() > windowMs)
      ) {
        const opened: Conversation = {
          id: ids.next(),
          contactId,
          inboxId,
          status: 'open',
          previousConversationId: conversation?.id ?? null,
          lastInboundChannel: null,
          lastInboundConnectorId: null,
          lastInboundAt: null,
          lastMessageAt: iso(unit.now),
          openedAt: iso(unit.now),
          resolvedAt: null,
          mergedIntoId: null,
          updatedAt: iso(unit.now),
        };
        await unit.tx.insertConversation(opened);
        await emit(unit, 'conversation.opened', { conversation: opened });
        conversation = opened;
      }
      const identities = await unit.tx.listIdentities(contactId);
      const latest = await unit.tx.findLatestInbound(contactId);
      const route = chooseRoute({
        ...(request.channel
          ? { channel: request.channel }
          : request.to && !request.contactId
            ? { channel: request.to.channel }
            : {}),
        ...(request.connectorId ? { connectorId: request.connectorId } : {}),
        conversation,
        latestInbound: latest
          ? { channel: latest.channel, connectorId: latest.connectorId }
          : undefined,
        identities,
        channelPreference: contact!.channelPreference,
        connectors: [...connectors().values()].map((connector) => ({
          connectorId: connector.id,
          channel: connector.channel,
        })),
      });
      if (!route) {
        throw new EngineError(
          'conflict',
          `no configured connector can reach contact ${contactId}${request.channel ? ` on ${request.channel}` : ''}`,
          {
            details: { contactId, channel: request.channel ?? null },
          },
        );
      }
      if (request.replyToId) {
        const original = await unit.tx.getMessage(request.replyToId);
        if (!original)
          throw new EngineError('not_found', `replyToId ${request.replyToId} is not a message`);
      }
      // switchboard hook: not_in_control, or takeControl, before anything is queued
      await switchboard.beforeSend(unit, conversation.id, {
        integrationId: request.integrationId ?? null,
        takeControl: request.takeControl ?? false,
      });
      const message = await queueOutbound(
        unit,
        contact!,
        conversation,
        connectorOrThrow(route.connectorId),
        request,
        null,
      );
      await unit.tx.updateConversation({
        ...conversation,
        lastMessageAt: iso(unit.now),
        updatedAt: iso(unit.now),
      });
      const queued = (await unit.tx.getMessage(message.id)) ?? message;
      await options.inTransaction?.(unit.tx, queued);
      return queued;
    });
  }

  // ---------------------------------------------------------------- jobs

  async function buildOutbound(message: Message, connector: ConnectorV1): Promise<OutboundMessage> {
    const reader = store.read;
    // Only connectors that thread by earlier messages (email References, a subject) need the history.
    const history = connector.threadHistory
      ? await reader.listConversationMessages(message.conversationId, { limit: 500 })
      : [];
    const threadExternalIds = history
      .filter(
        (entry) =>
          entry.connectorId === connector.id && entry.externalId && entry.id !== message.id,
      )
      .map((entry) => entry.externalId!)
      .slice(-20);
    const replyTo = message.replyToId ? await reader.getMessage(message.replyToId) : undefined;
    const subject = [...history]
      .reverse()
      .find((entry) => typeof entry.channelData.subject === 'string')?.channelData.subject;
    const content = (message.channelData.rendered as Content | undefined) ?? message.content;
    return {
      id: message.id,
      conversationId: message.conversationId,
      to: message.to,
      content,
      ...(replyTo?.externalId && replyTo.connectorId === connector.id
        ? { replyToExternalId: replyTo.externalId }
        : {}),
      ...(threadExternalIds.length ? { threadExternalIds } : {}),
      channelData: { ...message.channelData, ...(subject ? { subject } : {}) },
    };
  }

  async function runSendJob(job: Job): Promise<void> {
    const messageId = String(job.payload.messageId);
    const message = await store.read.getMessage(messageId);
    if (message?.status !== 'queued') {
      await queue.complete(job);
      return;
    }
    // Order per conversation: an earlier message still waiting holds this one back. (The
    // embedded queue already hands out one job per conversation at a time.)
    if (!queue.inStore && (await store.read.hasEarlierQueued(message.conversationId, message.id))) {
      await queue.reschedule(
        job,
        new Date(clock.now().getTime() + 250),
        'waiting for an earlier message',
        {
          countAttempt: false,
        },
      );
      return;
    }
    const connector = connectors().get(message.connectorId);
    if (!connector) {
      await transact(async (unit) => {
        await failMessage(unit, message, {
          code: 'configuration_invalid',
          message: `connector ${message.connectorId} is not configured`,
          retryable: false,
        });
        await finishJob(unit, job);
      });
      return;
    }
    const now = clock.now().getTime();
    const perSecond = connector.rateLimit?.perSecond;
    const wait = perSecond ? await limiter.take(connector.id, perSecond, now) : 0;
    const perRecipient = connector.rateLimit?.perRecipientPerSecond;
    const recipientWait =
      wait === 0 && perRecipient
        ? await limiter.take(`${connector.id}:${message.to.address}`, perRecipient, now)
        : 0;
    if (wait > 0 || recipientWait > 0) {
      await queue.reschedule(
        job,
        new Date(now + Math.max(wait, recipientWait)),
        'waiting for the rate limit',
        {
          countAttempt: false,
        },
      );
      return;
    }
    try {
      const outbound = await buildOutbound(message, connector);
      const result = await connector.send(outbound);
      await transact(async (unit) => {
        const current = (await unit.tx.getMessage(message.id)) ?? message;
        // Accepted by the provider = it left the gateway: `sent` (or further, if the provider says so).
        const status: MessageStatus = result.status === 'delivered' ? 'delivered' : 'sent';
        const sent: Message = {
          ...current,
          externalId: result.externalId,
          status: current.status === 'queued' ? status : current.status,
          updatedAt: iso(unit.now),
          channelData: {
            ...current.channelData,
            ...result.channelData,
            ...(result.status ? { providerStatus: result.status } : {}),
          },
        };
        await unit.tx.updateMessage(sent);
        await emit(unit, 'message.sent', { message: sent });
        for (const pending of await unit.tx.takePendingStatuses(connector.id, result.externalId)) {
          const event = pending.event as { status: MessageStatus; error?: MessageError };
          const latest = (await unit.tx.getMessage(message.id))!;
          await applyStatus(unit, latest, event.status, event.error);
        }
        await finishJob(unit, job);
      });
    } catch (error) {
      const disposition = toErrorDisposition(error);
      const attempt = job.attempts + 1;
      if (disposition.retryable && attempt < backoff.maxAttempts) {
        const delay = nextRetryDelay(attempt, backoff, disposition.retryAfterMs, random);
        log('warn', 'send failed, retrying', {
          messageId,
          connectorId: connector.id,
          code: disposition.code,
          attempt,
          delayMs: delay,
        });
        await queue.reschedule(
          job,
          new Date(clock.now().getTime() + delay),
          `${disposition.code}: ${disposition.message}`,
          {
            countAttempt: true,
          },
        );
        return;
      }
      log('warn', 'send failed', { messageId, connectorId: connector.id, code: disposition.code });
      await transact(async (unit) => {
        const current = (await unit.tx.getMessage(message.id)) ?? message;
        if (!finalStatuses.includes(current.status)) {
          await failMessage(unit, current, {
            code: disposition.code,
            message: disposition.message,
            retryable: disposition.retryable,
          });
        }
        await finishJob(unit, job);
      });
    }
  }

  async function runFallbackJob(job: Job): Promise<void> {
    const messageId = String(job.payload.messageId);
    const ruleIndex = Number(job.payload.ruleIndex);
    await transact(async (unit) => {
      const message = await unit.tx.getMessage(messageId);
      const rule = (message?.channelData.fallback as FallbackRule[] | undefined)?.[ruleIndex];
      if (message && rule) {
        const due =
          (rule.when === 'undelivered' && !['delivered', 'read'].includes(message.status)) ||
          (rule.when === 'unread' && message.status !== 'read');
        if (due) await fireFallback(unit, message, rule.when, ruleIndex);
      }
      await finishJob(unit, job);
    });
  }

  /** Lease up to `limit` due jobs (the job runner runs each with `runJob`). */
  function claimJobs(limit: number): Promise<Job[]> {
    return queue.claim(clock.now(), leaseMs, limit);
  }

  /** Run one claimed job. A job that crashes runs again when its lease ends. */
  async function runJob(job: Job): Promise<void> {
    try {
      if (job.kind === 'send') await runSendJob(job);
      else if (job.kind === controlTimeoutJobKind) await switchboard.runTimeoutJob(job);
      else await runFallbackJob(job);
    } catch (error) {
      log('error', 'job crashed; it runs again when its lease ends', {
        jobId: job.id,
        error: String(error),
      });
    }
  }

  /**
   * Run the jobs that are due now and wait for them (tests and the simulator; the gateway's
   * job runner claims and runs continuously). Returns how many jobs ran.
   */
  async function runDueJobs(limit = 64): Promise<number> {
    const jobs = await claimJobs(limit);
    // Claimed jobs belong to different conversations (or wait their turn in runSendJob), so
    // several provider calls can be in flight at once.
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) await runJob(jobs[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(sendConcurrency, jobs.length) }, worker));
    return jobs.length;
  }

  /** Run due jobs until none is left (tests and the simulator). */
  async function drainJobs(maxRounds = 100): Promise<number> {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      const ran = await runDueJobs();
      total += ran;
      if (ran === 0) break;
    }
    return total;
  }

  // ---------------------------------------------------------------- conversations and contacts

  async function resolveConversation(id: string): Promise<Conversation> {
    return transact(async (unit) => {
      const conversation = await unit.tx.getConversation(id);
      if (!conversation) throw new EngineError('not_found', `no conversation ${id}`);
      if (conversation.status === 'resolved') return conversation;
      const resolved = {
        ...conversation,
        status: 'resolved' as const,
        resolvedAt: iso(unit.now),
        updatedAt: iso(unit.now),
      };
      await unit.tx.updateConversation(resolved);
      await emit(unit, 'conversation.resolved', { conversation: resolved });
      return resolved;
    });
  }

  async function getContact(id: string): Promise<Contact | undefined> {
    const record = await liveContact(store.read, id);
    return record ? toContact(store.read, record) : undefined;
  }

  async function linkIdentity(
    contactId: string,
    address: Address,
    options: { reason?: string; verified?: boolean } = {},
  ): Promise<Contact> {
    return transact(async (unit) => {
      const contact = await liveContact(unit.tx, contactId);
      if (!contact) throw new EngineError('not_found', `no contact ${contactId}`);
      const linked = await link(
        unit,
        contact,
        address,
        'api',
        options.verified ?? true,
        options.reason ?? 'linked through the API',
      );
      return toContact(unit.tx, linked);
    });
  }

  async function mergeContacts(
    survivorId: string,
    mergedId: string,
    reason = 'merged through the API',
  ): Promise<Contact> {
    return transact(async (unit) => {
      for (const id of [survivorId, mergedId]) {
        if (!(await liveContact(unit.tx, id)))
          throw new EngineError('not_found', `no contact ${id}`);
      }
      const survivor = await mergeInto(unit, survivorId, mergedId, reason);
      return toContact(unit.tx, survivor);
    });
  }

  async function reportConnectorStatus(
    connectorId: string,
    status: EventData<'connector.status_changed'>['status'],
    detail: string | null,
  ): Promise<void> {
    await transact(async (unit) =>
      emit(unit, 'connector.status_changed', { connectorId, status, detail }),
    );
  }

  return {
    store,
    clock,
    ids,
    continuityWindowMs: windowMs,
    ingest,
    send,
    claimJobs,
    runJob,
    runDueJobs,
    drainJobs,
    resolveConversation,
    getContact,
    linkIdentity,
    mergeContacts,
    reportConnectorStatus,
    relayOutbox,
    switchboard,
    queue,
    connectors,
  };
}

function maxTime(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
