import { canonicalAddress } from '../address.js';
import { inboundEventSchema } from '../inbound-event-schema.js';
import { assert } from './conformance-assertions.js';
import { messagesOf } from './conformance-messages.js';
import type { ConformanceCheck } from './conformance-options.js';

/** Every recorded provider request becomes valid normalized events. */
export const parsesRecordedPayloads: ConformanceCheck = {
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
};

/** Senders arrive in the canonical address form of the channel. */
export const normalizesSenderAddresses: ConformanceCheck = {
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
};

/** A redelivered request names the same externalIds, so it dedupes. */
export const parsesRedeliveriesToTheSameIds: ConformanceCheck = {
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
};
