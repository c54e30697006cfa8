import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { contentExamples, messageWith } from './__fixtures__/messages.js';
import {
  contentTypes,
  eventSchema,
  isStatusAdvance,
  messageSchema,
  type PublishedSchemaName,
  parseWith,
  publishedSchemas,
  SchemaValidationError,
} from './index.js';

const jsonSchemaDirectory = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'dist',
  'json-schema',
  'v1',
);
const loadJsonSchema = (name: PublishedSchemaName) =>
  JSON.parse(readFileSync(join(jsonSchemaDirectory, `${name}.json`), 'utf8')) as object;

describe('message schema', () => {
  it.each(contentTypes)('round-trips a %s message through JSON unchanged', (type) => {
    const message = messageSchema.parse(messageWith(contentExamples[type]));
    const reparsed = messageSchema.parse(JSON.parse(JSON.stringify(message)));
    expect(reparsed).toEqual(message);
    expect(reparsed.content.type).toBe(type);
  });

  it('represents text with several attachments', () => {
    const message = messageSchema.parse(messageWith(contentExamples.text));
    expect(message.content.type === 'text' && message.content.attachments).toHaveLength(2);
  });

  it.each([
    ['an unknown content type', { content: { type: 'carousel', items: [] } }, 'content.type'],
    [
      'a button without a title',
      { content: { type: 'interactive', text: 'Pick', buttons: [{ id: 'a' }] } },
      'content.buttons.0.title',
    ],
    ['media without url or mediaId', { content: { type: 'media', kind: 'image' } }, 'content.url'],
    ['a non-UTC timestamp', { createdAt: '2026-11-22T10:00:00+01:00' }, 'createdAt'],
    ['an unknown status', { status: 'bounced' }, 'status'],
    [
      'a latitude out of range',
      { content: { type: 'location', latitude: 91, longitude: 0 } },
      'content.latitude',
    ],
    ['a missing sender address', { from: { channel: 'sms' } }, 'from.address'],
  ])('rejects %s with the offending path', (_name, override, path) => {
    const invalid = { ...messageWith(contentExamples.text), ...override };
    expect(() => parseWith(messageSchema, invalid, 'message')).toThrowError(SchemaValidationError);
    try {
      parseWith(messageSchema, invalid, 'message');
    } catch (error) {
      expect((error as SchemaValidationError).issues.map((issue) => issue.path)).toContain(path);
      expect((error as Error).message).toContain(path);
    }
  });

  it('accepts channels beyond the built-in five and refuses malformed channel names', () => {
    const viber = { ...messageWith(contentExamples.text), channel: 'viber' };
    expect(messageSchema.safeParse(viber).success).toBe(true);
    expect(messageSchema.safeParse({ ...viber, channel: 'Not A Channel' }).success).toBe(false);
  });
});

describe('status progression', () => {
  it('moves forward only', () => {
    expect(isStatusAdvance('queued', 'sent')).toBe(true);
    expect(isStatusAdvance('sent', 'read')).toBe(true);
    expect(isStatusAdvance('delivered', 'sent')).toBe(false);
    expect(isStatusAdvance('read', 'delivered')).toBe(false);
    expect(isStatusAdvance('delivered', 'failed')).toBe(true);
    expect(isStatusAdvance('read', 'failed')).toBe(false);
    expect(isStatusAdvance('failed', 'delivered')).toBe(false);
    expect(isStatusAdvance('sent', 'sent')).toBe(false);
  });
});

describe('published JSON Schema', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:/i);
  const compiled = new Map<PublishedSchemaName, ReturnType<typeof ajv.compile>>();
  const validator = (name: PublishedSchemaName) => {
    if (!compiled.has(name)) compiled.set(name, ajv.compile(loadJsonSchema(name)));
    return compiled.get(name)!;
  };

  it('is generated for every published schema at build time', () => {
    for (const name of Object.keys(publishedSchemas) as PublishedSchemaName[]) {
      const document = loadJsonSchema(name) as { $schema?: string; $id?: string };
      expect(document.$schema).toContain('2020-12');
      expect(document.$id).toContain(`/v1/${name}.json`);
    }
  });

  it.each(contentTypes)('accepts the same valid %s message as zod', (type) => {
    const validate = validator('message');
    const message = messageSchema.parse(messageWith(contentExamples[type]));
    expect(validate(message), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects the same invalid messages as zod', () => {
    const validate = validator('message');
    const invalid = [
      { ...messageWith(contentExamples.text), status: 'bounced' },
      { ...messageWith(contentExamples.text), content: { type: 'carousel' } },
      { ...messageWith(contentExamples.text), from: { channel: 'sms' } },
      { ...messageWith(contentExamples.text), createdAt: 'yesterday' },
    ];
    for (const message of invalid) {
      expect(messageSchema.safeParse(message).success).toBe(false);
      expect(validate(message)).toBe(false);
    }
  });

  it('validates an event envelope', () => {
    const event = {
      id: 'evt_1',
      cursor: 7,
      type: 'message.received',
      time: '2026-11-22T09:00:00.000Z',
      data: { message: messageSchema.parse(messageWith(contentExamples.postback)) },
    };
    expect(eventSchema.parse(event).cursor).toBe(7);
    expect(validator('event')(event)).toBe(true);
    expect(eventSchema.safeParse({ ...event, type: 'message.exploded' }).success).toBe(false);
  });
});
