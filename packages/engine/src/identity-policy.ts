import { isPhoneChannel } from '@threadline/connector-kit';
import type { Channel, IdentitySource } from '@threadline/schema';

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

/** The same-phone rule: the other channels that reach the same E.164 number as `channel`. */
export function samePhoneChannels(policy: IdentityPolicy, channel: Channel): Channel[] {
  if (!policy.linkSamePhone || !isPhoneChannel(channel)) return [];
  return (['whatsapp', 'sms'] as const).filter((sibling) => sibling !== channel);
}

/** Whether a claim the sender made joins their contact without anyone confirming it. */
export function isTrustedClaim(
  policy: IdentityPolicy,
  claim: { verified: boolean; source: IdentitySource },
  senderChannel: Channel,
): boolean {
  return (
    claim.verified &&
    policy.autoLinkSources.includes(claim.source) &&
    policy.autoLinkFromChannels.includes(senderChannel)
  );
}
