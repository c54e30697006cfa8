import {
  type ConformanceFixtures,
  createTestServer,
  testConnector,
} from '@threadline/connector-kit/test';
import { createSmsConnector } from './sms-connector.js';
import { TwilioFake } from './test-support/twilio-fake.js';
import {
  accountSid,
  authToken,
  customerNumber,
  fixtureBody,
  ourNumber,
  publicUrl,
  resign,
  signed,
  signedFixture,
  signedStatusFor,
  signedWith,
  webhookUrl,
} from './test-support/twilio-fixtures.js';

const apiBase = 'https://api.twilio.com';
const twilio = new TwilioFake({ apiBase, accountSid, authToken });
createTestServer(...twilio.handlers());

const statusCases = [
  ['status-queued', 'queued', 'queued'],
  ['status-sending', 'sending', 'sent'],
  ['status-sent', 'sent', 'sent'],
  ['status-delivered', 'delivered', 'delivered'],
  ['status-undelivered-30003', 'undelivered', 'failed'],
  ['status-failed-30008', 'failed', 'failed'],
  ['status-read', 'read', 'read'],
] as const;

const fixtures: ConformanceFixtures = {
  inbound: [
    {
      name: 'text',
      request: signedFixture('inbound-text'),
      expect: {
        externalId: 'SM9b2e4f61c08d4a7e95f3b1d2c6a8e0f4',
        from: { channel: 'sms', address: customerNumber },
        contentType: 'text',
      },
    },
    { name: 'unicode text', request: signedFixture('inbound-unicode') },
    {
      name: 'MMS with two media',
      request: signedFixture('inbound-mms-two-media'),
      expect: { contentType: 'text' },
    },
    {
      name: 'MMS photo without text',
      request: signedFixture('inbound-mms-photo-only'),
      expect: { contentType: 'media' },
    },
    { name: 'STOP', request: signedFixture('inbound-stop') },
  ],
  badSignature: [
    {
      ...signedFixture('inbound-text'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    },
    signed(fixtureBody('inbound-text'), { token: 'not-the-auth-token' }),
    signed(fixtureBody('inbound-text'), { signedUrl: 'http://10.0.0.5:8787/webhooks/sms/sms' }),
  ],
  sign: resign,
  malformed: [
    signedWith('inbound-text', { From: null }),
    signedWith('inbound-text', { From: 'not a phone' }),
    signedWith('inbound-text', { NumMedia: 'two' }),
    signedWith('inbound-mms-two-media', { MediaUrl1: null }),
    signedWith('status-delivered', { MessageSid: null, SmsSid: null }),
    signed('ApiVersion=2010-04-01', { url: webhookUrl }),
  ],
  statuses: statusCases.map(([fixture, providerStatus, expected]) => ({
    providerStatus,
    expected,
    request: (externalId: string) => signedStatusFor(fixture, externalId),
  })),
  recipient: { channel: 'sms', address: customerNumber },
  provider: twilio,
  mediaUrl: 'https://media.example.com/cat.png',
};

testConnector({
  name: 'SMS (Twilio)',
  connector: () =>
    createSmsConnector({
      accountSid,
      authToken,
      fromNumber: ourNumber,
      apiBase,
      publicUrl,
      env: {},
    }),
  fixtures,
});
