import { type ConnectorV1, renderForChannel, toErrorDisposition } from '@threadline/connector-kit';
import type {
  Address,
  Channel,
  Content,
  Conversation,
  FallbackRule,
  Message,
  MessageError,
} from '@threadline/schema';
import { type EngineContext, EngineError, routeCandidates } from './engine-context.js';
import { recipientIdentity } from './identity.js';
import { sendJobId } from './job-queue.js';
import type { ContactRecord } from './ports.js';
import { chooseRoute } from './routing.js';
import { isoTime, type Unit } from './unit-of-work.js';

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

/** What to do with a message the route refuses: fail it (so `failed` fallbacks fire). */
export type RefuseMessage = (unit: Unit, message: Message, error: MessageError) => Promise<Message>;

/**
 * The route of a send: the connector the app names, else where the customer last wrote, else
 * their preference. A channel no connector serves is `channel_not_configured`; a contact no
 * configured connector reaches is a `conflict`.
 */
export async function chooseSendRoute(
  context: EngineContext,
  unit: Unit,
  contact: ContactRecord,
  conversation: Conversation,
  request: Pick<SendRequest, 'channel' | 'connectorId'>,
): Promise<ConnectorV1> {
  const latest = await unit.tx.findLatestInbound(contact.id);
  const route = chooseRoute({
    ...(request.channel ? { channel: request.channel } : {}),
    ...(request.connectorId ? { connectorId: request.connectorId } : {}),
    conversation,
    latestInbound: latest
      ? { channel: latest.channel, connectorId: latest.connectorId }
      : undefined,
    identities: await unit.tx.listIdentities(contact.id),
    channelPreference: contact.channelPreference,
    connectors: routeCandidates(context),
  });
  if (!route) {
    throw new EngineError(
      'conflict',
      `no configured connector can reach contact ${contact.id}${request.channel ? ` on ${request.channel}` : ''}`,
      { details: { contactId: contact.id, channel: request.channel ?? null } },
    );
  }
  return context.connectors().get(route.connectorId)!;
}

/** Refuses a send to a channel no configured connector serves, before anything is written. */
export function assertChannelConfigured(
  context: EngineContext,
  channel: Channel | undefined,
): void {
  if (!channel || routeCandidates(context).some((candidate) => candidate.channel === channel))
    return;
  throw new EngineError(
    'channel_not_configured',
    `no ${channel} connector is configured on this gateway`,
    { details: { channel } },
  );
}

/**
 * Create the outbound message(s) for one route, queued, with a durable send job each.
 * A route the connector refuses, or a channel the customer opted out of, is refused at once.
 */
export async function queueOutbound(
  context: EngineContext,
  unit: Unit,
  route: {
    contact: ContactRecord;
    conversation: Conversation;
    connector: ConnectorV1;
    fallbackOfId: string | null;
  },
  request: SendRequest,
  refuse: RefuseMessage,
): Promise<Message> {
  const { contact, conversation, connector } = route;
  const identity = recipientIdentity(
    context.policy,
    await unit.tx.listIdentities(contact.id),
    connector.channel,
  );
  const latestHere = await unit.tx.findLatestInbound(contact.id, { connectorId: connector.id });
  const replyAddress =
    (latestHere?.channelData.conversationAddress as Address | undefined) ?? undefined;
  const to: Address | undefined =
    request.to?.channel === connector.channel
      ? request.to
      : (replyAddress ??
        (identity ? { channel: identity.channel, address: identity.address } : undefined));
  const base: Message = {
    id: context.ids.next(),
    conversationId: conversation.id,
    contactId: contact.id,
    channel: connector.channel,
    connectorId: connector.id,
    direction: 'outbound',
    from: latestHere?.to ?? { channel: connector.channel, address: connector.id },
    to: to ?? { channel: connector.channel, address: 'unknown' },
    externalId: null,
    replyToId: request.replyToId ?? null,
    content: request.content,
    status: 'queued',
    error: null,
    createdAt: isoTime(unit.now),
    updatedAt: isoTime(unit.now),
    fallbackOfId: route.fallbackOfId,
    ...(request.fallback?.length ? { fallback: { rules: request.fallback, fired: [] } } : {}),
    channelData: { ...request.channelData },
  };

  const refusal = async (error: Omit<MessageError, 'retryable'>) => {
    await unit.tx.insertMessage(base);
    return refuse(unit, base, { ...error, retryable: false });
  };
  if (!to)
    return refusal({
      code: 'recipient_unknown',
      message: `the contact has no ${connector.channel} address`,
    });
  if (contact.optedOut.includes(connector.channel)) {
    return refusal({
      code: 'recipient_opted_out',
      message: `the customer opted out of ${connector.channel}`,
    });
  }
  const refused = connector.checkRoute?.({
    to,
    content: request.content,
    lastInboundAt: latestHere ? new Date(latestHere.createdAt) : null,
    now: unit.now,
  });
  if (refused) return refusal({ code: refused.code, message: refused.message });

  let rendered: ReturnType<typeof renderForChannel>;
  try {
    rendered = renderForChannel(request.content, connector.capabilities, connector.channel);
  } catch (error) {
    const disposition = toErrorDisposition(error);
    return refusal({ code: disposition.code, message: disposition.message });
  }
  if (rendered.parts.length === 0)
    return refusal({ code: 'unsupported_content', message: 'nothing to send on this channel' });

  const parts: Message[] = rendered.parts.map((part, index) => ({
    ...base,
    id: index === 0 ? base.id : context.ids.next(),
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
    await context.addJob(unit, {
      id: sendJobId(part.id),
      kind: 'send',
      orderKey: conversation.id,
      connectorId: connector.id,
      payload: { messageId: part.id },
      runAt: isoTime(unit.now),
      createdAt: isoTime(unit.now),
    });
  }
  return parts[0]!;
}
