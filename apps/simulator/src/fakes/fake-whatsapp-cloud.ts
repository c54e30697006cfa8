import { metaSignature } from '@threadline/connector-kit';
import type { PlannedMessage, PlannedPersona } from '../plan-traffic.js';
import { replyRef } from '../traffic-ledger.js';
import {
  DropConnection,
  deliverCustomerWebhook,
  deliverNotification,
  draw,
  type FakeContext,
  hexId,
  type ProviderFake,
  ProviderRateLimit,
  providerFault,
  redeliveryPatterns,
  sentText,
  sleep,
  statusSchedule,
  tinyPng,
  unixSeconds,
} from './provider-fake.js';

export interface WhatsAppCloudSecrets {
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  phoneNumberId: string;
  businessAccountId: string;
  displayPhoneNumber: string;
}

export const graphVersion = 'v25.0';

export function whatsAppCloudSecrets(seed: number): WhatsAppCloudSecrets {
  return {
    accessToken: `EAAG${hexId(seed, 'meta-token', 40)}`,
    appSecret: hexId(seed, 'meta-app-secret'),
    verifyToken: hexId(seed, 'meta-verify', 16),
    phoneNumberId: '106540352242922',
    businessAccountId: '102290129340398',
    displayPhoneNumber: '16285550101',
  };
}

const graphError = (
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
) =>
  new Response(
    JSON.stringify({
      error: {
        message: `(#${code}) ${message}`,
        type: 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details: message },
        fbtrace_id: 'ASimulatorTrace',
      },
    }),
    { status, headers: { 'content-type': 'application/json', ...headers } },
  );

/**
 * Meta's WhatsApp Cloud API: `POST /{version}/{phone-number-id}/messages` (Bearer token)
 * answered like the Graph API, then `sent`/`delivered`/`read` statuses; customer messages
 * go to the gateway as `messages` webhooks signed with `X-Hub-Signature-256`.
 */
export function createWhatsAppCloudFake(
  context: FakeContext,
  secrets: WhatsAppCloudSecrets = whatsAppCloudSecrets(context.scenario.seed),
): ProviderFake & { secrets: WhatsAppCloudSecrets } {
  const limit = new ProviderRateLimit(context.scenario.providers.rateLimitPerSecond);
  const attempts = new Map<string, number>();
  let counter = 0;
  let origin = 'https://graph.facebook.com';
  const sendPath = new RegExp(`^/${graphVersion}/${secrets.phoneNumberId}/messages$`);

  function webhook(value: Record<string, unknown>) {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: secrets.businessAccountId,
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: secrets.displayPhoneNumber,
                  phone_number_id: secrets.phoneNumberId,
                },
                ...value,
              },
              field: 'messages',
            },
          ],
        },
      ],
    });
    return {
      url: `${context.gateway().publicUrl}/webhooks/whatsapp/whatsapp`,
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': metaSignature(secrets.appSecret, body),
      },
      body,
    };
  }

  function statusWebhooks(wamid: string, recipient: string) {
    for (const { status, delayMs } of statusSchedule(context, 'whatsapp', wamid)) {
      setTimeout(() => {
        void deliverNotification(context, redeliveryPatterns.meta, () =>
          webhook({
            statuses: [
              {
                id: wamid,
                status,
                timestamp: String(unixSeconds()),
                recipient_id: recipient,
                conversation: {
                  id: hexId(context.scenario.seed, `conversation-${recipient}`),
                  origin: { type: 'service' },
                },
                pricing: {
                  billable: false,
                  pricing_model: 'PMP',
                  category: 'service',
                  type: 'free_customer_service',
                },
              },
            ],
          }),
        );
      }, delayMs).unref();
    }
  }

  return {
    name: 'whatsapp-cloud',
    channel: 'whatsapp',
    secrets,

    gatewayEnvironment(served) {
      origin = served;
      return {
        WHATSAPP_ACCESS_TOKEN: secrets.accessToken,
        WHATSAPP_PHONE_NUMBER_ID: secrets.phoneNumberId,
        WHATSAPP_APP_SECRET: secrets.appSecret,
        WHATSAPP_VERIFY_TOKEN: secrets.verifyToken,
        WHATSAPP_GRAPH_URL: `${served}/${graphVersion}`,
      };
    },

    async handle(request) {
      const url = new URL(request.url);
      if (request.headers.get('authorization') !== `Bearer ${secrets.accessToken}`) {
        return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
      }
      if (request.method === 'GET' && /^\/v[\d.]+\/\d+$/.test(url.pathname)) {
        const mediaId = url.pathname.split('/').at(-1)!;
        return Response.json({
          messaging_product: 'whatsapp',
          url: `${origin}/media/${mediaId}`,
          mime_type: 'image/png',
          file_size: tinyPng.length,
          id: mediaId,
        });
      }
      if (request.method === 'GET' && url.pathname.startsWith('/media/')) {
        return new Response(tinyPng, { headers: { 'content-type': 'image/png' } });
      }
      if (request.method !== 'POST' || !sendPath.test(url.pathname)) {
        return graphError(400, 100, `Unsupported request - method type: ${request.method}`);
      }
      const body = (await request.json().catch(() => ({}))) as Record<string, unknown>;
      const to = String(body.to ?? '');
      const text = sentText({
        ...body,
        to: undefined,
        messaging_product: undefined,
        type: undefined,
      });
      const ref = replyRef(text);
      const receivedAt = context.ledger.now();
      const record = (
        outcome: Parameters<typeof context.ledger.recordProviderSend>[0]['outcome'],
        externalId?: string,
      ) =>
        context.ledger.recordProviderSend({
          channel: 'whatsapp',
          provider: 'whatsapp-cloud',
          receivedAt,
          outcome,
          externalId,
          to: `+${to}`,
          text,
          ref,
        });
      if (body.messaging_product !== 'whatsapp' || !/^\d{8,15}$/.test(to)) {
        record('rejected');
        return graphError(400, 100, 'Invalid parameter');
      }
      if (!limit.take()) {
        record('rate_limited');
        return graphError(400, 130429, 'Rate limit hit', { 'retry-after': '1' });
      }
      const closed = context.scenario.faults.whatsappWindowClosed;
      if (
        closed &&
        body.type !== 'template' &&
        draw(context.scenario.seed, 'window-closed', ref ?? text) < closed.rate
      ) {
        context.ledger.count('faults', 'whatsapp_window_closed');
        record('window_closed');
        return graphError(
          400,
          131047,
          'Re-engagement message: more than 24 hours have passed since the recipient last replied',
        );
      }
      const fault = providerFault(context, 'whatsapp', ref ?? `${to}:${text}`, attempts);
      if (fault === '429') {
        record('rate_limited');
        return graphError(400, 130429, 'Rate limit hit', { 'retry-after': '1' });
      }
      if (fault === '5xx') {
        record('server_error');
        return graphError(500, 131000, 'Something went wrong');
      }
      if (fault === 'timeout') {
        record('timeout');
        await sleep(context.scenario.faults.providerErrors?.timeoutAfter ?? 1_000);
        throw new DropConnection();
      }
      counter += 1;
      const wamid = `wamid.${Buffer.from(`${to}-out-${counter}-${hexId(context.scenario.seed, text, 12)}`).toString('base64')}`;
      record('accepted', wamid);
      statusWebhooks(wamid, to);
      return Response.json({
        messaging_product: 'whatsapp',
        contacts: [{ input: to, wa_id: to }],
        messages: [{ id: wamid, message_status: 'accepted' }],
      });
    },

    async deliver(message: PlannedMessage, persona: PlannedPersona) {
      const waId = (persona.identities.whatsapp ?? persona.identities.sms!).replace(/^\+/, '');
      const wamid = `wamid.${Buffer.from(`${waId}-in-${message.id}`).toString('base64')}`;
      const record = context.ledger.customerMessage(message, wamid);
      const content = message.content;
      const typed =
        content.kind === 'text'
          ? { type: 'text', text: { body: content.text } }
          : content.kind === 'image'
            ? {
                type: 'image',
                image: {
                  caption: content.caption,
                  mime_type: 'image/png',
                  sha256: Buffer.from(hexId(context.scenario.seed, message.id)).toString('base64'),
                  id: String(
                    Number.parseInt(hexId(context.scenario.seed, `media-${message.id}`, 12), 16),
                  ),
                },
              }
            : content.kind === 'location'
              ? {
                  type: 'location',
                  location: {
                    latitude: content.latitude,
                    longitude: content.longitude,
                    name: content.name,
                  },
                }
              : { type: 'text', text: { body: content.name } };
      const timestamp = String(unixSeconds());
      await deliverCustomerWebhook(context, record, redeliveryPatterns.meta, () =>
        webhook({
          contacts: [{ profile: { name: persona.name }, wa_id: waId }],
          messages: [{ from: waId, id: wamid, timestamp, ...typed }],
        }),
      );
    },
  };
}
