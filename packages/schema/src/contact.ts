import { z } from 'zod';
import { channelSchema } from './channel.js';
import { timestampSchema } from './message.js';

/** Why an identity belongs to a contact: how it was first seen or how it was joined. */
export const identitySources = [
  'inbound',
  'same_phone',
  'contact_share',
  'identity_token',
  'email_thread',
  'api',
  'merge',
] as const;
export const identitySourceSchema = z.enum(identitySources);
export type IdentitySource = z.infer<typeof identitySourceSchema>;

export const identitySchema = z
  .object({
    channel: channelSchema,
    address: z.string().min(1),
    verified: z.boolean(),
    source: identitySourceSchema,
    createdAt: timestampSchema,
  })
  .meta({ id: 'Identity' });
export type Identity = z.infer<typeof identitySchema>;

export const contactSchema = z
  .object({
    id: z.string().min(1),
    name: z.string().nullable(),
    identities: z.array(identitySchema),
    /** Preferred channels, most preferred first: the last resort of reply routing. */
    channelPreference: z.array(channelSchema).default([]),
    /** Channels the customer opted out of (SMS STOP). */
    optedOut: z.array(channelSchema).default([]),
    createdAt: timestampSchema,
    updatedAt: timestampSchema,
  })
  .meta({ id: 'Contact' });
export type Contact = z.infer<typeof contactSchema>;
