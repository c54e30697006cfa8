// The worked example of docs/adding-a-connector.md, kept here so the guide stays true.

import { z } from 'zod';
import {
  assertSendable,
  type ConnectorEnvironmentContext,
  ConnectorError,
  type ConnectorV1,
  canonicalAddress,
  defineCapabilities,
  type InboundRequest,
  type OutboundMessage,
  parseJsonBody,
  parseProviderPayload,
  requireSetting,
  verifyMetaSignature,
} from '../index.js';

const pigeonWebhook = z.object({
  id: z.string(),
  from: z.string(),
  text: z.string().nullish(),
  status: z.enum(['delivered', 'failed']).nullish(),
  sent_at: z.number().nullish(),
});

export interface PigeonSettings {
  apiKey?: string;
  signingSecret?: string;
  apiBase?: string;
  fetch?: typeof fetch;
}

export function createPigeonConnector(settings: PigeonSettings = {}): ConnectorV1 {
  const apiKey = requireSetting({
    value: settings.apiKey,
    environmentVariable: 'PIGEON_API_KEY',
    settingName: 'apiKey',
  });
  const secret = requireSetting({
    value: settings.signingSecret,
    environmentVariable: 'PIGEON_SIGNING_SECRET',
    settingName: 'signingSecret',
  });
  const apiBase = settings.apiBase ?? 'https://api.pigeon.example';
  const capabilities = defineCapabilities({ text: { maxLength: 2000 } });

  return {
    specificationVersion: 'v1',
    id: 'pigeon',
    channel: 'pigeon',
    capabilities,

    async parse(request: InboundRequest) {
      if (!verifyMetaSignature(secret, request.body, request.headers['x-pigeon-signature'])) {
        throw ConnectorError.signatureInvalid('X-Pigeon-Signature does not match the body');
      }
      const payload = parseProviderPayload(pigeonWebhook, parseJsonBody(request.body));
      if (payload.status) {
        return {
          events: [
            {
              type: 'status',
              externalId: payload.id,
              status: payload.status,
              ...(payload.status === 'failed'
                ? { error: { code: 'pigeon_failed', message: 'lost in flight', retryable: false } }
                : {}),
            },
          ],
        };
      }
      return {
        events: [
          {
            type: 'message',
            message: {
              externalId: payload.id,
              from: {
                channel: 'pigeon',
                address: canonicalAddress('pigeon', payload.from, { path: 'from' }),
              },
              content: { type: 'text', text: payload.text ?? '' },
              ...(payload.sent_at
                ? { createdAt: new Date(payload.sent_at * 1000).toISOString() }
                : {}),
            },
          },
        ],
      };
    },

    async send(message: OutboundMessage) {
      assertSendable(message.content, capabilities, 'pigeon');
      const text = message.content.type === 'text' ? message.content.text : '';
      const response = await (settings.fetch ?? fetch)(`${apiBase}/v1/messages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': message.id,
        },
        body: JSON.stringify({ to: message.to.address, text }),
      }).catch((error) => {
        throw new ConnectorError('provider_unavailable', `pigeon unreachable: ${error}`, {
          retryable: true,
        });
      });
      if (response.status === 429) {
        const retryAfterMs = Number(response.headers.get('retry-after') ?? 1) * 1000;
        throw new ConnectorError('rate_limited', 'pigeon: too many requests', {
          statusCode: 429,
          retryable: true,
          retryAfterMs,
        });
      }
      if (response.status >= 500)
        throw new ConnectorError('provider_unavailable', `pigeon: ${response.status}`, {
          statusCode: response.status,
          retryable: true,
        });
      if (!response.ok)
        throw new ConnectorError('provider_rejected', `pigeon: ${response.status}`, {
          statusCode: response.status,
        });
      const { id } = (await response.json()) as { id: string };
      return { externalId: id };
    },
  };
}

/** The gateway's factory: no connector unless PIGEON_API_KEY is set. */
export function pigeonConnectorFromEnv(
  context: ConnectorEnvironmentContext,
): ConnectorV1 | undefined {
  if (!context.env.PIGEON_API_KEY) return undefined;
  return createPigeonConnector({
    apiKey: context.env.PIGEON_API_KEY,
    signingSecret: context.env.PIGEON_SIGNING_SECRET,
    apiBase: context.env.PIGEON_API_BASE,
  });
}
