import type { Address, Channel } from '@threadline/schema';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import { ConnectorError } from './errors.js';

const phoneChannels = new Set<Channel>(['sms', 'whatsapp']);

export interface CanonicalAddressOptions {
  /** Country assumed for national-format numbers (e.g. "US" for "(415) 555-0100"). */
  defaultCountry?: CountryCode;
  /** The payload path to name when the address is not valid. */
  path?: string;
}

const e164CacheSize = 10_000;
/** Raw number (and default country) → E.164, for numbers that parsed; oldest out first. */
const e164Cache = new Map<string, string>();

/**
 * A phone number as E.164 (`+14155550100`), from any format providers use:
 * `+1 415 555 0100`, `whatsapp:+14155550100`, `14155550100@c.us`, `14155550100`.
 */
export function toE164(raw: string, options: CanonicalAddressOptions = {}): string {
  const key = `${options.defaultCountry ?? ''} ${raw}`;
  const known = e164Cache.get(key);
  if (known !== undefined) return known;
  let value = raw.trim();
  value = value.replace(/^(whatsapp|sms|tel):/i, '');
  value = value.replace(/@(c\.us|s\.whatsapp\.net)$/i, '');
  const international = /^\d{8,15}$/.test(value) && !options.defaultCountry ? `+${value}` : value;
  const phone = parsePhoneNumberFromString(international, options.defaultCountry);
  if (!phone?.isPossible()) {
    throw ConnectorError.payloadInvalid(
      options.path ?? 'address',
      `"${raw}" is not a phone number`,
    );
  }
  // Parsing a number is the costliest step of a send or an SMS ingest; customers repeat.
  if (e164Cache.size >= e164CacheSize) e164Cache.delete(e164Cache.keys().next().value!);
  e164Cache.set(key, phone.number);
  return phone.number;
}

/** An email address lower-cased, without a display name: `Ada <Ada@Example.com>` → `ada@example.com`. */
export function toCanonicalEmail(raw: string, options: CanonicalAddressOptions = {}): string {
  const angle = /<([^<>]+)>\s*$/.exec(raw);
  const value = (angle?.[1] ?? raw).trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw ConnectorError.payloadInvalid(
      options.path ?? 'address',
      `"${raw}" is not an email address`,
    );
  }
  return value;
}

/** The canonical form of an address on a channel. Throws `payload_invalid` when it cannot be read. */
export function canonicalAddress(
  channel: Channel,
  raw: string,
  options: CanonicalAddressOptions = {},
): string {
  if (phoneChannels.has(channel)) return toE164(raw, options);
  if (channel === 'email') return toCanonicalEmail(raw, options);
  const value = raw.trim();
  if (channel === 'telegram' && !/^-?\d{1,20}$/.test(value)) {
    throw ConnectorError.payloadInvalid(options.path ?? 'address', `"${raw}" is not a Telegram id`);
  }
  if (value.length === 0 || value.length > 320) {
    throw ConnectorError.payloadInvalid(options.path ?? 'address', 'empty or over-long address');
  }
  return value;
}

export function address(channel: Channel, raw: string, options?: CanonicalAddressOptions): Address {
  return { channel, address: canonicalAddress(channel, raw, options) };
}

/** True when two channels address people by phone number, so one number is one person. */
export function isPhoneChannel(channel: Channel): boolean {
  return phoneChannels.has(channel);
}
