import { z } from 'zod';
import { addressSchema } from './channel.js';
import { contactSchema } from './contact.js';
import { contentSchema } from './content.js';
import { conversationSchema } from './conversation.js';
import { eventSchema } from './event.js';
import { messageSchema } from './message.js';

export const schemaVersion = 'v1';

/** The schemas published as JSON Schema (draft 2020-12), by file name. */
export const publishedSchemas = {
  address: addressSchema,
  content: contentSchema,
  message: messageSchema,
  conversation: conversationSchema,
  contact: contactSchema,
  event: eventSchema,
} as const;

export type PublishedSchemaName = keyof typeof publishedSchemas;

/** The JSON Schema document for one published schema, describing the data as it is sent. */
export function toJsonSchema(name: PublishedSchemaName): Record<string, unknown> {
  const document = z.toJSONSchema(publishedSchemas[name], {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return {
    ...document,
    $id: `https://threadline.dev/schema/${schemaVersion}/${name}.json`,
    title: `Threadline ${name} (${schemaVersion})`,
  };
}
