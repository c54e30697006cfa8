import { z } from 'zod';

/** The channels Threadline ships connectors for. The set is open: a connector may add a channel. */
export const knownChannels = ['whatsapp', 'sms', 'email', 'telegram', 'webchat'] as const;
export type KnownChannel = (typeof knownChannels)[number];

/** A channel name: one of {@link knownChannels} or any lower-case identifier a new connector adds. */
export type Channel = KnownChannel | (string & {});

export const channelSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a channel is a lower-case identifier such as "sms"')
  .describe('Channel name: whatsapp, sms, email, telegram, webchat, or one a connector adds')
  .meta({ examples: [...knownChannels] }) as z.ZodType<Channel>;

/** An address on one channel, canonical per channel (E.164 phone, lower-cased email, ...). */
export const addressSchema = z
  .object({
    channel: channelSchema,
    address: z.string().min(1).max(320),
  })
  .meta({ id: 'Address' });
export type Address = z.infer<typeof addressSchema>;
