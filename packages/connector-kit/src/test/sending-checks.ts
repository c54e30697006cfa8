import type { Content } from '@threadline/schema';
import type { ConnectorV1, SendResult } from '../connector.js';
import { ConnectorError } from '../errors.js';
import { assert, rejection } from './conformance-assertions.js';
import { messagesOf, outbound } from './conformance-messages.js';
import type { ConformanceCheck } from './conformance-options.js';

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

/** A text send returns the id the provider recorded. */
export const sendsTextWithTheProviderId: ConformanceCheck = {
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
};

/** A status callback or a reply names the id send returned. */
export const roundTripsIds: ConformanceCheck = {
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
};

/** Every kind of content the capabilities declare reaches the provider. */
export const sendsDeclaredContent: ConformanceCheck = {
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
};

/** Content outside the capabilities is refused as unsupported_content, nothing sent. */
export const refusesUndeclaredContent: ConformanceCheck = {
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
};
