import type { Address, Channel, Contact, Identity, IdentitySource } from '@threadline/schema';
import { mergeConversations } from './continuity.js';
import type { EngineContext } from './engine-context.js';
import { type IdentityPolicy, samePhoneChannels } from './identity-policy.js';
import type { ContactRecord, StoreReader } from './ports.js';
import { isoTime, type Unit } from './unit-of-work.js';

export { defaultIdentityPolicy, type IdentityPolicy, isTrustedClaim } from './identity-policy.js';

export async function toContact(reader: StoreReader, record: ContactRecord): Promise<Contact> {
  const { mergedIntoId: _merged, ...contact } = record;
  return { ...contact, identities: await reader.listIdentities(record.id) };
}

/** Follows merges: the contact an id now stands for. */
export async function liveContact(
  reader: StoreReader,
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
    createdAt: isoTime(now),
  };
}

async function createContact(
  context: EngineContext,
  unit: Unit,
  address: Address,
  name: string | null,
): Promise<ContactRecord> {
  const record: ContactRecord = {
    id: context.ids.next(),
    name,
    channelPreference: [],
    optedOut: [],
    createdAt: isoTime(unit.now),
    updatedAt: isoTime(unit.now),
    mergedIntoId: null,
  };
  await unit.tx.insertContact(record);
  await unit.tx.insertIdentity(record.id, newIdentity(address, 'inbound', true, unit.now));
  return record;
}

/** The contact behind an address, creating it (and linking the same phone on a sibling channel). */
export async function resolveContact(
  context: EngineContext,
  unit: Unit,
  address: Address,
  name: string | null,
): Promise<ContactRecord> {
  const found = await unit.tx.findIdentity(address);
  if (found) return (await liveContact(unit.tx, found.contactId))!;
  for (const sibling of samePhoneChannels(context.policy, address.channel)) {
    const match = await unit.tx.findIdentity({ channel: sibling, address: address.address });
    if (!match) continue;
    const contact = (await liveContact(unit.tx, match.contactId))!;
    const identity = newIdentity(address, 'same_phone', true, unit.now);
    await unit.tx.insertIdentity(contact.id, identity);
    await context.emit(unit, 'contact.identity_linked', {
      contactId: contact.id,
      identity,
      reason: `same phone number as the ${sibling} identity`,
    });
    return contact;
  }
  return createContact(context, unit, address, name);
}

/**
 * Merge `mergedId` into `survivorId`: identities, conversations and messages move, and the
 * two customers' latest conversations become one per the continuity rule.
 */
export async function mergeContacts(
  context: EngineContext,
  unit: Unit,
  survivorId: string,
  mergedId: string,
  reason: string,
): Promise<ContactRecord> {
  const survivor = (await liveContact(unit.tx, survivorId))!;
  const merged = (await liveContact(unit.tx, mergedId))!;
  if (survivor.id === merged.id) return survivor;
  const folded = await mergeConversations(
    context,
    unit,
    await unit.tx.findLatestConversation(survivor.id, context.inboxId),
    await unit.tx.findLatestConversation(merged.id, context.inboxId),
  );
  const movedIdentities = await unit.tx.moveIdentities(merged.id, survivor.id);
  const movedConversationIds = await unit.tx.reassignContact(merged.id, survivor.id);
  const updatedSurvivor: ContactRecord = {
    ...survivor,
    name: survivor.name ?? merged.name,
    optedOut: [...new Set([...survivor.optedOut, ...merged.optedOut])],
    channelPreference: [...new Set([...survivor.channelPreference, ...merged.channelPreference])],
    updatedAt: isoTime(unit.now),
  };
  await unit.tx.updateContact(updatedSurvivor);
  await unit.tx.updateContact({
    ...merged,
    mergedIntoId: survivor.id,
    updatedAt: isoTime(unit.now),
  });
  await context.emit(unit, 'contact.merged', {
    contactId: survivor.id,
    mergedContactId: merged.id,
    reason,
    movedConversationIds,
    movedIdentities,
    ...(folded ? { folded: [folded] } : {}),
  });
  return updatedSurvivor;
}

/** Join `address` to `contact`: add it, or merge the contact that already has it (older survives). */
export async function linkAddress(
  context: EngineContext,
  unit: Unit,
  contact: ContactRecord,
  address: Address,
  link: { source: IdentitySource; verified: boolean; reason: string },
): Promise<ContactRecord> {
  const existing = await unit.tx.findIdentity(address);
  if (existing) {
    const owner = (await liveContact(unit.tx, existing.contactId))!;
    if (owner.id === contact.id) return contact;
    const [survivor, merged] =
      owner.createdAt <= contact.createdAt ? [owner, contact] : [contact, owner];
    return mergeContacts(context, unit, survivor.id, merged.id, link.reason);
  }
  const identity = newIdentity(address, link.source, link.verified, unit.now);
  await unit.tx.insertIdentity(contact.id, identity);
  await context.emit(unit, 'contact.identity_linked', {
    contactId: contact.id,
    identity,
    reason: link.reason,
  });
  return contact;
}

/**
 * The identity a message to `contact` on `channel` goes to: one they use on the channel
 * (one they wrote from before one a token vouched for), else, by the same-phone rule, their
 * number on the sibling channel.
 */
export function recipientIdentity(
  policy: IdentityPolicy,
  identities: Identity[],
  channel: Channel,
): Identity | undefined {
  const siblings = samePhoneChannels(policy, channel);
  return (
    identities.find(
      (candidate) => candidate.channel === channel && candidate.source !== 'identity_token',
    ) ??
    identities.find((candidate) => candidate.channel === channel) ??
    identities.find((candidate) => siblings.includes(candidate.channel))
  );
}
