import type { Channel, Conversation, Identity } from '@threadline/schema';

export interface RouteCandidate {
  connectorId: string;
  channel: Channel;
}

export interface RouteInput {
  /** Channel the app asked for. */
  channel?: Channel;
  /** Connector the app asked for. */
  connectorId?: string;
  conversation: Conversation | undefined;
  /** The contact's latest inbound message, any conversation. */
  latestInbound: { channel: Channel; connectorId: string } | undefined;
  identities: Identity[];
  channelPreference: Channel[];
  /** Configured connectors, in configuration order. */
  connectors: RouteCandidate[];
}

export type RouteReason = 'explicit' | 'latest_inbound' | 'preference' | 'only_identity';

/**
 * Where a reply goes: the channel the app names; else where the customer last wrote; else
 * the contact's preference order; else any channel the contact has an identity on.
 * Returns undefined when no configured connector can reach the contact.
 */
export function chooseRoute(
  input: RouteInput,
): (RouteCandidate & { reason: RouteReason }) | undefined {
  const reachable = (channel: Channel) =>
    input.identities.some((identity) => identity.channel === channel);
  const connectorFor = (channel: Channel, preferred?: string | null) =>
    input.connectors.find(
      (connector) => connector.connectorId === preferred && connector.channel === channel,
    ) ?? input.connectors.find((connector) => connector.channel === channel);

  if (input.connectorId) {
    const connector = input.connectors.find(
      (candidate) => candidate.connectorId === input.connectorId,
    );
    return connector ? { ...connector, reason: 'explicit' } : undefined;
  }
  if (input.channel) {
    const preferred =
      input.conversation?.lastInboundChannel === input.channel
        ? input.conversation.lastInboundConnectorId
        : input.latestInbound?.connectorId;
    const connector = connectorFor(input.channel, preferred);
    return connector ? { ...connector, reason: 'explicit' } : undefined;
  }
  const last = input.conversation?.lastInboundChannel
    ? {
        channel: input.conversation.lastInboundChannel,
        connectorId: input.conversation.lastInboundConnectorId,
      }
    : input.latestInbound;
  if (last) {
    const connector = connectorFor(last.channel, last.connectorId);
    if (connector) return { ...connector, reason: 'latest_inbound' };
  }
  for (const channel of input.channelPreference) {
    const connector = reachable(channel) ? connectorFor(channel) : undefined;
    if (connector) return { ...connector, reason: 'preference' };
  }
  for (const identity of input.identities) {
    const connector = connectorFor(identity.channel);
    if (connector) return { ...connector, reason: 'only_identity' };
  }
  return undefined;
}
