import { type Address, type Content, channelSchema, type MessageStatus } from '@threadline/schema';
import fc from 'fast-check';
import { canonicalAddress } from '../address.js';
import { capabilitiesSchema } from '../capabilities.js';
import type {
  ConnectorV1,
  InboundEvent,
  InboundRequest,
  OutboundMessage,
  SendResult,
} from '../connector.js';
import { ConnectorError, errorCodes } from '../errors.js';
import { inboundEventSchema } from '../inbound-event-schema.js';
import type { ProviderFailure } from '../mock-connector.js';

export type { ProviderFailure };

/** One message the fake provider accepted. */
export interface RecordedSend {
  externalId: string;
}

/** The provider behind a connector's `send`, faked at its boundary (msw, a local server). */
export interface ProviderFake {
  /** Messages the provider accepted since the last reset, oldest first. */
  sent(): RecordedSend[] | Promise<RecordedSend[]>;
  /** Make the next send fail the way this provider does. */
  failNext(failure: ProviderFailure): void;
  reset(): void | Promise<void>;
}

export interface InboundCase {
  name: string;
  /** A recorded provider request, correctly signed. */
  request: InboundRequest;
  /** What the normalized result must contain (checked when given). */
  expect?: { externalId?: string; from?: Address; contentType?: Content['type'] };
}

export interface StatusCase {
  /** The provider's name for the status ("delivered", "undelivered", "read", ...). */
  providerStatus: string;
  expected: MessageStatus;
  /** A signed status callback for the message the provider knows as `externalId`. */
  request(externalId: string): InboundRequest;
}

export interface ConformanceFixtures {
  /** Recorded inbound requests that carry at least one message. */
  inbound: InboundCase[];
  /** Requests with a missing or wrong signature; `{ none: reason }` if the channel has no signatures. */
  badSignature: InboundRequest[] | { none: string };
  /** Re-sign a request after its body changed (used to fuzz past the signature check). */
  sign?: (request: InboundRequest) => InboundRequest;
  /** Correctly signed requests whose payload is malformed. */
  malformed: InboundRequest[];
  /**
   * Every provider status the connector maps, or `{ none: reason }` for a channel whose
   * provider reports no delivery statuses for bot messages (Telegram).
   */
  statuses: StatusCase[] | { none: string };
  /** A signed customer reply to the message the provider knows as `externalId` (id round trip). */
  replyTo?: (externalId: string) => InboundRequest;
  /** Where outbound test messages go. */
  recipient: Address;
  provider: ProviderFake;
  /** Media URL the fake provider accepts, for media sends. */
  mediaUrl?: string;
}

export interface ConformanceOptions {
  /** A fresh connector for each check. */
  connector: () => ConnectorV1 | Promise<ConnectorV1>;
  fixtures: ConformanceFixtures;
  /** Cases for the never-throws-untyped check (default 60), fixed seed. */
  fuzzRuns?: number;
  seed?: number;
}

export interface ConformanceCheck {
  name: string;
  run(options: ConformanceOptions): Promise<void>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  error?: string;
}

class ConformanceFailure extends Error {
  override name = 'ConformanceFailure';
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

let outboundCounter = 0;
function outbound(recipient: Address, content: Content): OutboundMessage {
  outboundCounter += 1;
  return {
    id: `conformance-${Date.now()}-${outboundCounter}`,
    conversationId: 'conformance-conversation',
    to: recipient,
    content,
  };
}

function messagesOf(events: InboundEvent[]) {
  return events.flatMap((event) => (event.type === 'message' ? [event.message] : []));
}

function tamper(body: string): string {
  if (body.length === 0) return 'x';
  const index = Math.floor(body.length / 2);
  const replacement = body[index] === 'a' ? 'b' : 'a';
  return body.slice(0, index) + replacement + body.slice(index + 1);
}

/** Content the connector declares it carries natively, one example each. */
function declaredContent(connector: ConnectorV1, mediaUrl: string): Content[] {
  const capabilities = connector.capabilities;
  const contents: Content[] = [{ type: 'text', text: 'Conformance hello ✓' }];
  for (const kind of capabilities.media) {
    if (capabilities.maxAttachments > 0)
      contents.push({ type: 'media', kind, url: mediaUrl, caption: `a ${kind}` });
  }
  if (capabilities.buttons) {
    const count = Math.min(2, capabilities.buttons.max);
    contents.push({
      type: 'interactive',
      text: 'Pick one',
      buttons: Array.from({ length: count }, (_, index) => ({
        id: `b${index + 1}`,
        title: `Option ${index + 1}`.slice(0, capabilities.buttons!.titleMaxLength),
      })),
    });
  }
  if (capabilities.location)
    contents.push({ type: 'location', latitude: 48.8584, longitude: 2.2945, name: 'Tower' });
  if (capabilities.contacts)
    contents.push({ type: 'contact', name: 'Ada', phones: ['+14155550100'], emails: [] });
  if (capabilities.templates)
    contents.push({ type: 'template', name: 'hello_world', language: 'en_US', parameters: [] });
  return contents;
}

/** Content the connector does not declare: it must refuse it rather than send it badly. */
function undeclaredContent(connector: ConnectorV1, mediaUrl: string): Content[] {
  const capabilities = connector.capabilities;
  const contents: Content[] = [];
  if (!capabilities.buttons)
    contents.push({ type: 'interactive', text: 'Pick', buttons: [{ id: 'a', title: 'A' }] });
  if (!capabilities.templates)
    contents.push({ type: 'template', name: 'hello_world', language: 'en_US', parameters: [] });
  if (!capabilities.location) contents.push({ type: 'location', latitude: 1, longitude: 2 });
  if (capabilities.media.length === 0 || capabilities.maxAttachments === 0) {
    contents.push({ type: 'media', kind: 'image', url: mediaUrl });
  }
  contents.push({ type: 'text', text: 'x'.repeat(capabilities.text.maxLength + 1) });
  return contents;
}

const knownCodes = new Set(Object.keys(errorCodes));

/** The contract checks. Each runs on a fresh connector. */
export const conformanceChecks: ConformanceCheck[] = [
  {
    name: 'declares the v1 contract, an id, a channel and valid capabilities',
    async run({ connector }) {
      const instance = await connector();
      assert(
        instance.specificationVersion === 'v1',
        `specificationVersion is ${String(instance.specificationVersion)}, expected v1`,
      );
      assert(
        /^[a-z0-9][a-z0-9_-]{0,63}$/.test(instance.id),
        `id "${instance.id}" must be a lower-case slug`,
      );
      assert(
        channelSchema.safeParse(instance.channel).success,
        `channel "${instance.channel}" is not a channel name`,
      );
      const capabilities = capabilitiesSchema.safeParse(instance.capabilities);
      assert(capabilities.success, `capabilities are invalid: ${capabilities.error?.message}`);
    },
  },
  {
    name: 'parses every recorded inbound payload into valid normalized events',
    async run({ connector, fixtures }) {
      const instance = await connector();
      assert(
        fixtures.inbound.length > 0,
        'fixtures.inbound is empty: record at least one real payload',
      );
      for (const inboundCase of fixtures.inbound) {
        const result = await instance.parse(inboundCase.request);
        assert(Array.isArray(result.events), `${inboundCase.name}: parse returned no events array`);
        for (const event of result.events) {
          const valid = inboundEventSchema.safeParse(event);
          assert(
            valid.success,
            `${inboundCase.name}: invalid event ${JSON.stringify(event)}: ${valid.error?.message}`,
          );
        }
        const messages = messagesOf(result.events);
        assert(messages.length > 0, `${inboundCase.name}: no message event`);
        const expected = inboundCase.expect;
        const first = messages[0]!;
        if (expected?.externalId)
          assert(
            first.externalId === expected.externalId,
            `${inboundCase.name}: externalId ${first.externalId}, expected ${expected.externalId}`,
          );
        if (expected?.from)
          assert(
            first.from.channel === expected.from.channel &&
              first.from.address === expected.from.address,
            `${inboundCase.name}: from ${JSON.stringify(first.from)}, expected ${JSON.stringify(expected.from)}`,
          );
        if (expected?.contentType)
          assert(
            first.content.type === expected.contentType,
            `${inboundCase.name}: content ${first.content.type}, expected ${expected.contentType}`,
          );
      }
    },
  },
  {
    name: 'normalizes sender addresses to the canonical form of the channel',
    async run({ connector, fixtures }) {
      const instance = await connector();
      for (const inboundCase of fixtures.inbound) {
        for (const message of messagesOf((await instance.parse(inboundCase.request)).events)) {
          assert(
            message.from.channel === instance.channel,
            `${inboundCase.name}: from.channel ${message.from.channel}, expected ${instance.channel}`,
          );
          const canonical = canonicalAddress(message.from.channel, message.from.address);
          assert(
            canonical === message.from.address,
            `${inboundCase.name}: address "${message.from.address}" is not canonical ("${canonical}")`,
          );
        }
      }
    },
  },
  {
    name: 'parses the same request to the same externalIds (redeliveries dedupe)',
    async run({ connector, fixtures }) {
      const instance = await connector();
      for (const inboundCase of fixtures.inbound) {
        const first = messagesOf((await instance.parse(inboundCase.request)).events).map(
          (message) => message.externalId,
        );
        const second = messagesOf((await instance.parse(inboundCase.request)).events).map(
          (message) => message.externalId,
        );
        assert(
          JSON.stringify(first) === JSON.stringify(second),
          `${inboundCase.name}: externalIds differ between deliveries: ${first} vs ${second}`,
        );
      }
    },
  },
  {
    name: 'rejects missing, wrong and tampered signatures with signature_invalid',
    async run({ connector, fixtures }) {
      if (!Array.isArray(fixtures.badSignature)) {
        assert(
          fixtures.badSignature.none.length > 10,
          'a connector without signatures must say how requests are authenticated',
        );
        return;
      }
      const instance = await connector();
      assert(fixtures.badSignature.length > 0, 'fixtures.badSignature is empty');
      const tampered = fixtures.inbound.map((inboundCase) => ({
        ...inboundCase.request,
        body: tamper(inboundCase.request.body),
      }));
      for (const request of [...fixtures.badSignature, ...tampered]) {
        const error = await rejection(instance.parse(request));
        assert(
          ConnectorError.isConnectorError(error),
          `accepted or threw untyped for a bad signature: ${String(error)}`,
        );
        assert(
          error.code === 'signature_invalid',
          `bad signature answered ${error.code}, expected signature_invalid`,
        );
      }
    },
  },
  {
    name: 'rejects malformed payloads with payload_invalid and the offending path',
    async run({ connector, fixtures }) {
      const instance = await connector();
      assert(fixtures.malformed.length > 0, 'fixtures.malformed is empty');
      for (const request of fixtures.malformed) {
        const error = await rejection(instance.parse(request));
        assert(
          ConnectorError.isConnectorError(error),
          `malformed payload accepted or threw untyped: ${String(error)} (${request.body.slice(0, 80)})`,
        );
        assert(
          error.code === 'payload_invalid',
          `malformed payload answered ${error.code}, expected payload_invalid`,
        );
        assert(
          typeof error.path === 'string' && error.path.length > 0,
          'payload_invalid carries no path',
        );
      }
    },
  },
  {
    name: 'never throws untyped errors on mutated payloads',
    async run({ connector, fixtures, fuzzRuns = 60, seed = 20261122 }) {
      const instance = await connector();
      const sign = fixtures.sign ?? ((request: InboundRequest) => request);
      const bodies = fixtures.inbound.map((inboundCase) => inboundCase.request);
      const mutate = fc.oneof(
        fc.constant((body: string) => body.slice(0, Math.floor(body.length / 2))),
        fc.constant(() => ''),
        fc.string().map((junk) => () => junk),
        fc.jsonValue().map((value) => () => JSON.stringify(value)),
        fc.tuple(fc.nat(), fc.jsonValue()).map(([position, value]) => (body: string) => {
          try {
            const parsed = JSON.parse(body) as unknown;
            return JSON.stringify(replaceAt(parsed, position, value));
          } catch {
            const params = new URLSearchParams(body);
            const keys = Array.from(params.keys());
            const key = keys[position % Math.max(keys.length, 1)];
            if (key) params.set(key, JSON.stringify(value));
            return params.toString();
          }
        }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: Math.max(bodies.length - 1, 0) }),
          mutate,
          async (index, mutation) => {
            const base = bodies[index]!;
            const request = sign({ ...base, body: mutation(base.body) });
            try {
              const result = await instance.parse(request);
              for (const event of result.events) {
                const valid = inboundEventSchema.safeParse(event);
                if (!valid.success)
                  throw new ConformanceFailure(
                    `invalid event from a mutated payload: ${JSON.stringify(event)}`,
                  );
              }
            } catch (error) {
              if (error instanceof ConformanceFailure) throw error;
              if (!ConnectorError.isConnectorError(error)) {
                throw new ConformanceFailure(
                  `untyped ${error instanceof Error ? error.name : typeof error} for body ${request.body.slice(0, 120)}: ${String(error)}`,
                );
              }
            }
          },
        ),
        { numRuns: fuzzRuns, seed },
      );
    },
  },
  {
    name: 'sends text and returns the provider id the provider recorded',
    async run({ connector, fixtures }) {
      const instance = await connector();
      await fixtures.provider.reset();
      const result: SendResult = await instance.send(
        outbound(fixtures.recipient, { type: 'text', text: 'Hello from the conformance suite' }),
      );
      assert(
        typeof result.externalId === 'string' && result.externalId.length > 0,
        'send returned no externalId',
      );
      const sent = await fixtures.provider.sent();
      assert(sent.length === 1, `the provider recorded ${sent.length} sends, expected 1`);
      assert(
        sent[0]!.externalId === result.externalId,
        `provider id ${sent[0]!.externalId} ≠ returned ${result.externalId}`,
      );
    },
  },
  {
    name: 'round-trips ids: a status callback or a reply names the id send returned',
    async run({ connector, fixtures }) {
      const instance = await connector();
      await fixtures.provider.reset();
      const statusCases = Array.isArray(fixtures.statuses) ? fixtures.statuses : [];
      assert(
        statusCases.length > 0 || fixtures.replyTo,
        'fixtures need statuses or replyTo to round-trip ids',
      );
      const { externalId } = await instance.send(
        outbound(fixtures.recipient, { type: 'text', text: 'id round trip' }),
      );
      if (statusCases.length > 0) {
        const callback = statusCases[0]!.request(externalId);
        const statuses = (await instance.parse(callback)).events.filter(
          (event) => event.type === 'status',
        );
        assert(statuses.length === 1, `status callback produced ${statuses.length} status events`);
        assert(
          statuses[0]!.type === 'status' && statuses[0]!.externalId === externalId,
          `status names ${JSON.stringify(statuses[0])}, expected ${externalId}`,
        );
      }
      if (fixtures.replyTo) {
        const replies = messagesOf((await instance.parse(fixtures.replyTo(externalId))).events);
        assert(replies.length === 1, `reply produced ${replies.length} messages`);
        assert(
          replies[0]!.replyToExternalId === externalId,
          `reply names ${replies[0]!.replyToExternalId}, expected ${externalId}`,
        );
      }
    },
  },
  {
    name: 'maps every provider status to a Threadline status',
    async run({ connector, fixtures }) {
      if (!Array.isArray(fixtures.statuses)) {
        assert(
          fixtures.statuses.none.length > 10,
          'a connector without status callbacks must say why',
        );
        return;
      }
      const instance = await connector();
      const mapped = new Set<MessageStatus>();
      for (const statusCase of fixtures.statuses) {
        const events = (await instance.parse(statusCase.request('conformance-external-id'))).events;
        const status = events.find((event) => event.type === 'status');
        assert(status?.type === 'status', `${statusCase.providerStatus}: no status event`);
        assert(
          status.status === statusCase.expected,
          `${statusCase.providerStatus} mapped to ${status.status}, expected ${statusCase.expected}`,
        );
        if (status.status === 'failed')
          assert(
            status.error !== undefined,
            `${statusCase.providerStatus}: failed without an error`,
          );
        mapped.add(status.status);
      }
      for (const required of ['delivered', 'failed'] as const) {
        assert(
          mapped.has(required) || !fixtures.statuses.length,
          `no provider status maps to ${required}`,
        );
      }
    },
  },
  {
    name: 'sends every kind of content its capabilities declare',
    async run({ connector, fixtures }) {
      const instance = await connector();
      const contents = declaredContent(
        instance,
        fixtures.mediaUrl ?? 'https://media.example.com/cat.png',
      );
      for (const content of contents) {
        await fixtures.provider.reset();
        const error = await rejection(instance.send(outbound(fixtures.recipient, content)));
        assert(
          error === undefined,
          `declared ${content.type}${content.type === 'media' ? `/${content.kind}` : ''} but send failed: ${String(error)}`,
        );
        assert(
          (await fixtures.provider.sent()).length >= 1,
          `${content.type}: nothing reached the provider`,
        );
      }
      await fixtures.provider.reset();
      const longest = 'y'.repeat(instance.capabilities.text.maxLength);
      await instance.send(outbound(fixtures.recipient, { type: 'text', text: longest }));
    },
  },
  {
    name: 'refuses content outside its capabilities with unsupported_content, sending nothing',
    async run({ connector, fixtures }) {
      const instance = await connector();
      for (const content of undeclaredContent(
        instance,
        fixtures.mediaUrl ?? 'https://media.example.com/cat.png',
      )) {
        await fixtures.provider.reset();
        const error = await rejection(instance.send(outbound(fixtures.recipient, content)));
        assert(
          ConnectorError.isConnectorError(error),
          `sent undeclared ${content.type} content instead of refusing it`,
        );
        assert(
          error.code === 'unsupported_content',
          `undeclared ${content.type} answered ${error.code}`,
        );
        assert(
          (await fixtures.provider.sent()).length === 0,
          `undeclared ${content.type} reached the provider`,
        );
      }
    },
  },
  {
    name: 'maps provider failures to retryable and permanent errors with retryAfterMs',
    async run({ connector, fixtures }) {
      const instance = await connector();
      const cases: Array<[ProviderFailure, boolean]> = [
        [{ kind: 'rate_limited', retryAfterMs: 3000 }, true],
        [{ kind: 'unavailable' }, true],
        [{ kind: 'rejected' }, false],
      ];
      for (const [failure, retryable] of cases) {
        await fixtures.provider.reset();
        fixtures.provider.failNext(failure);
        const error = await rejection(
          instance.send(
            outbound(fixtures.recipient, { type: 'text', text: `fail ${failure.kind}` }),
          ),
        );
        assert(
          ConnectorError.isConnectorError(error),
          `${failure.kind}: threw untyped ${String(error)}`,
        );
        assert(
          error.retryable === retryable,
          `${failure.kind}: retryable=${error.retryable}, expected ${retryable}`,
        );
        if (failure.kind === 'rate_limited') {
          assert(
            error.retryAfterMs !== undefined &&
              Math.abs(error.retryAfterMs - failure.retryAfterMs) <= 1000,
            `rate_limited: retryAfterMs=${error.retryAfterMs}, expected ≈${failure.retryAfterMs}`,
          );
        }
      }
    },
  },
  {
    name: 'only throws errors with a stable Threadline code',
    async run({ connector, fixtures }) {
      const instance = await connector();
      const errors: unknown[] = [];
      for (const request of fixtures.malformed)
        errors.push(await rejection(instance.parse(request)));
      await fixtures.provider.reset();
      fixtures.provider.failNext({ kind: 'rejected' });
      errors.push(
        await rejection(
          instance.send(outbound(fixtures.recipient, { type: 'text', text: 'rejected' })),
        ),
      );
      for (const error of errors) {
        assert(ConnectorError.isConnectorError(error), `untyped error ${String(error)}`);
        assert(knownCodes.has(error.code), `unknown error code ${error.code}`);
      }
    },
  },
];

function replaceAt(value: unknown, position: number, replacement: unknown): unknown {
  const paths: Array<Array<string | number>> = [];
  const walk = (node: unknown, path: Array<string | number>) => {
    paths.push(path);
    if (Array.isArray(node)) {
      for (const [index, child] of node.entries()) walk(child, [...path, index]);
    } else if (node && typeof node === 'object')
      for (const [key, child] of Object.entries(node)) walk(child, [...path, key]);
  };
  walk(value, []);
  const target = paths[position % paths.length] ?? [];
  if (target.length === 0) return replacement;
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let cursor: Record<string | number, unknown> = copy;
  for (const segment of target.slice(0, -1))
    cursor = cursor[segment] as Record<string | number, unknown>;
  cursor[target[target.length - 1]!] = replacement;
  return copy;
}

/** Run every check and report each outcome (used by the suite's own tests and by tools). */
export async function runConformance(options: ConformanceOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of conformanceChecks) {
    try {
      await check.run(options);
      results.push({ name: check.name, ok: true });
    } catch (error) {
      results.push({
        name: check.name,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return results;
}
