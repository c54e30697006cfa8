import fc from 'fast-check';
import type { InboundRequest } from '../connector.js';
import { ConnectorError } from '../errors.js';
import { inboundEventSchema } from '../inbound-event-schema.js';
import { assert, ConformanceFailure, rejection } from './conformance-assertions.js';
import type { ConformanceCheck } from './conformance-options.js';

function tamper(body: string): string {
  if (body.length === 0) return 'x';
  const index = Math.floor(body.length / 2);
  const replacement = body[index] === 'a' ? 'b' : 'a';
  return body.slice(0, index) + replacement + body.slice(index + 1);
}

/** Missing, wrong and tampered signatures are refused as signature_invalid. */
export const rejectsBadSignatures: ConformanceCheck = {
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
};

/** Malformed payloads are refused as payload_invalid with the offending path. */
export const rejectsMalformedPayloads: ConformanceCheck = {
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
};

/** Mutated payloads parse to valid events or fail with a typed error, never untyped. */
export const neverThrowsUntypedOnMutatedPayloads: ConformanceCheck = {
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
};

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
