import { twilioSignature } from '@threadline/connector-kit';
import type { PlannedMessage, PlannedPersona } from '../plan-traffic.js';
import { replyRef } from '../traffic-ledger.js';
import {
  DropConnection,
  deliverCustomerWebhook,
  deliverNotification,
  type FakeContext,
  hexId,
  type ProviderFake,
  ProviderRateLimit,
  providerFault,
  redeliveryPatterns,
  sleep,
  statusSchedule,
  tinyPng,
} from './provider-fake.js';

export interface TwilioFakeSecrets {
  accountSid: string;
  authToken: string;
  /** The business number customers text. */
  fromNumber: string;
}

export function twilioSecrets(seed: number): TwilioFakeSecrets {
  return {
    accountSid: `AC${hexId(seed, 'twilio-account')}`,
    authToken: hexId(seed, 'twilio-token'),
    fromNumber: '+16285550100',
  };
}

const json = (body: unknown, status: number, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

const twilioError = (status: number, code: number, message: string) =>
  json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status);

/**
 * Twilio's Messaging API: `POST /2010-04-01/Accounts/{sid}/Messages.json` (form, Basic auth)
 * answered like Twilio, with status callbacks posted to `StatusCallback` afterwards; customer
 * messages go to the gateway as signed form webhooks (`X-Twilio-Signature`).
 */
export function createTwilioFake(
  context: FakeContext,
  secrets: TwilioFakeSecrets = twilioSecrets(context.scenario.seed),
): ProviderFake & { secrets: TwilioFakeSecrets } {
  let origin = 'https://api.twilio.com';
  const limit = new ProviderRateLimit(context.scenario.providers.rateLimitPerSecond);
  const attempts = new Map<string, number>();
  const authorization = `Basic ${Buffer.from(`${secrets.accountSid}:${secrets.authToken}`).toString('base64')}`;
  let counter = 0;
  const messagesPath = new RegExp(`^/2010-04-01/Accounts/${secrets.accountSid}/Messages\\.json$`);
  const mediaPath = /^\/2010-04-01\/Accounts\/[^/]+\/Messages\/[^/]+\/Media\/[^/]+$/;

  function statusCallbacks(url: string, sid: string, to: string) {
    for (const { status, delayMs } of statusSchedule(context, 'sms', sid)) {
      setTimeout(() => {
        void deliverNotification(context, redeliveryPatterns.twilio, () => {
          const fields: Array<[string, string]> = [
            ['SmsSid', sid],
            ['SmsStatus', status],
            ['MessageStatus', status],
            ['To', to],
            ['MessageSid', sid],
            ['AccountSid', secrets.accountSid],
            ['From', secrets.fromNumber],
            ['ApiVersion', '2010-04-01'],
          ];
          return {
            url,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'x-twilio-signature': twilioSignature(secrets.authToken, url, fields),
            },
            body: new URLSearchParams(fields).toString(),
          };
        });
      }, delayMs).unref();
    }
  }

  return {
    name: 'twilio',
    channel: 'sms',
    secrets,

    gatewayEnvironment(served) {
      origin = served;
      return {
        TWILIO_ACCOUNT_SID: secrets.accountSid,
        TWILIO_AUTH_TOKEN: secrets.authToken,
        TWILIO_FROM_NUMBER: secrets.fromNumber,
        TWILIO_API_BASE: served,
        TWILIO_RATE_LIMIT_PER_SECOND: String(context.scenario.providers.rateLimitPerSecond),
      };
    },

    async handle(request) {
      const url = new URL(request.url);
      if (request.method === 'GET' && mediaPath.test(url.pathname)) {
        return new Response(tinyPng, { headers: { 'content-type': 'image/png' } });
      }
      if (request.method !== 'POST' || !messagesPath.test(url.pathname)) {
        return twilioError(404, 20404, `The requested resource ${url.pathname} was not found`);
      }
      if (request.headers.get('authorization') !== authorization) {
        return twilioError(401, 20003, 'Authenticate');
      }
      const form = new URLSearchParams(await request.text());
      const to = form.get('To') ?? '';
      const body = form.get('Body') ?? '';
      const receivedAt = context.ledger.now();
      const ref = replyRef(body);
      const record = (
        outcome: Parameters<typeof context.ledger.recordProviderSend>[0]['outcome'],
        externalId?: string,
      ) =>
        context.ledger.recordProviderSend({
          channel: 'sms',
          provider: 'twilio',
          receivedAt,
          outcome,
          externalId,
          to,
          text: body,
          ref,
        });
      if (!limit.take()) {
        record('rate_limited');
        return twilioError(429, 20429, 'Too Many Requests');
      }
      const fault = providerFault(context, 'sms', ref ?? `${to}:${body}`, attempts);
      if (fault === '429') {
        record('rate_limited');
        return twilioError(429, 20429, 'Too Many Requests');
      }
      if (fault === '5xx') {
        record('server_error');
        return twilioError(503, 20503, 'Service Unavailable');
      }
      if (fault === 'timeout') {
        record('timeout');
        await sleep(context.scenario.faults.providerErrors?.timeoutAfter ?? 1_000);
        throw new DropConnection();
      }
      if (!/^\+\d{8,15}$/.test(to)) {
        record('rejected');
        return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      }
      counter += 1;
      const sid = `SM${hexId(context.scenario.seed, `twilio-out-${counter}-${to}-${body}`)}`;
      record('accepted', sid);
      const callback = form.get('StatusCallback');
      if (callback) statusCallbacks(callback, sid, to);
      return json(
        {
          account_sid: secrets.accountSid,
          api_version: '2010-04-01',
          body,
          date_created: new Date().toUTCString(),
          date_sent: null,
          date_updated: new Date().toUTCString(),
          direction: 'outbound-api',
          error_code: null,
          error_message: null,
          from: form.get('From'),
          messaging_service_sid: form.get('MessagingServiceSid'),
          num_media: String(form.getAll('MediaUrl').length),
          num_segments: '1',
          price: null,
          price_unit: 'USD',
          sid,
          status: 'queued',
          subresource_uris: {
            media: `/2010-04-01/Accounts/${secrets.accountSid}/Messages/${sid}/Media.json`,
          },
          to,
          uri: `/2010-04-01/Accounts/${secrets.accountSid}/Messages/${sid}.json`,
        },
        201,
      );
    },

    async deliver(message: PlannedMessage, persona: PlannedPersona) {
      const sid = `${message.content.kind === 'image' ? 'MM' : 'SM'}${hexId(context.scenario.seed, `twilio-in-${message.id}`)}`;
      const record = context.ledger.customerMessage(message, sid);
      const from = persona.identities.sms ?? persona.identities.whatsapp!;
      const url = `${context.gateway().publicUrl}/webhooks/sms/sms`;
      const content = message.content;
      const text =
        content.kind === 'text' ? content.text : content.kind === 'image' ? content.caption : '';
      const fields: Array<[string, string]> = [
        ['ToCountry', 'US'],
        ['ToState', 'CA'],
        ['SmsMessageSid', sid],
        ['NumMedia', content.kind === 'image' ? '1' : '0'],
        ['ToCity', 'SAN FRANCISCO'],
        ['SmsSid', sid],
        ['SmsStatus', 'received'],
        ['Body', text],
        ['FromCountry', 'US'],
        ['To', secrets.fromNumber],
        ['NumSegments', '1'],
        ['MessageSid', sid],
        ['AccountSid', secrets.accountSid],
        ['From', from],
        ['ApiVersion', '2010-04-01'],
      ];
      if (content.kind === 'image') {
        fields.push(['MediaContentType0', 'image/png']);
        fields.push([
          'MediaUrl0',
          `${origin}/2010-04-01/Accounts/${secrets.accountSid}/Messages/${sid}/Media/ME${hexId(context.scenario.seed, `media-${message.id}`)}`,
        ]);
      }
      await deliverCustomerWebhook(context, record, redeliveryPatterns.twilio, () => ({
        url,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilioSignature(secrets.authToken, url, fields),
        },
        body: new URLSearchParams(fields).toString(),
      }));
    },
  };
}
