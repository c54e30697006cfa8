import {
  assertSendable,
  type Capabilities,
  ConnectorError,
  type ConnectorV1,
  defineCapabilities,
  type Environment,
  httpFetch,
  type InboundRequest,
  loadSetting,
  type OutboundMessage,
  type ParseResult,
  parseJsonBody,
  parseProviderPayload,
  type RouteCheck,
  requireSetting,
  type SendResult,
  verifyMetaSignature,
} from '@threadline/connector-kit';
import { z } from 'zod';
import { answerWhatsAppCloudVerification } from './answer-whatsapp-cloud-verification.js';
import { checkWhatsAppWindow } from './check-whatsapp-window.js';
import { convertToWhatsAppCloudMessages } from './convert-to-whatsapp-cloud-messages.js';
import { convertWhatsAppCloudWebhook } from './convert-whatsapp-cloud-webhook.js';
import { mapWhatsAppCloudError } from './map-whatsapp-cloud-error.js';
import { whatsAppCloudWebhookSchema } from './whatsapp-cloud-webhook-schema.js';

/** Meta's Graph API, versioned. */
export const defaultWhatsAppGraphUrl = 'https://graph.facebook.com/v25.0';

export interface WhatsAppCloudConnectorSettings {
  /** Connector id; ingress is `/webhooks/whatsapp/<id>`. Default `whatsapp`. */
  id?: string;
  /** System-user access token (`WHATSAPP_ACCESS_TOKEN`). */
  accessToken?: string;
  /** The business phone number id messages are sent from (`WHATSAPP_PHONE_NUMBER_ID`). */
  phoneNumberId?: string;
  /** The Meta app secret that signs webhooks (`WHATSAPP_APP_SECRET`). */
  appSecret?: string;
  /** The token Meta echoes when it verifies the webhook URL (`WHATSAPP_VERIFY_TOKEN`). */
  verifyToken?: string;
  /** Graph API base URL with its version (`WHATSAPP_GRAPH_URL`). Default {@link defaultWhatsAppGraphUrl}. */
  graphUrl?: string;
  /** Outbound messages per second for this number. Default 80, Meta's standard throughput. */
  perSecond?: number;
  /** Graph API call timeout. Default 15 s. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** Where secrets are read from when not in the settings. Default `process.env`. */
  env?: Environment;
}

/** What WhatsApp carries through the Cloud API. Menus of more than 3 buttons are rendered down. */
export const whatsAppCloudCapabilities: Capabilities = defineCapabilities({
  text: { maxLength: 4096 },
  media: ['image', 'audio', 'video', 'file', 'sticker'],
  maxAttachments: 1,
  buttons: { max: 3, titleMaxLength: 20 },
  templates: true,
  location: true,
  contacts: true,
  reactions: true,
  readReceipts: true,
  edits: false,
  typing: false,
});

const sendResponseSchema = z.object({
  messages: z.array(z.object({ id: z.string().min(1) })).min(1),
});
const mediaInfoSchema = z.object({
  url: z.url(),
  mime_type: z.string().nullish(),
});

/**
 * The WhatsApp Cloud API (Meta's WhatsApp Business Platform): signed webhooks in, Graph API
 * out. Enforces the 24-hour customer-service window through `checkRoute`.
 */
export class WhatsAppCloudConnector implements ConnectorV1 {
  readonly specificationVersion = 'v1' as const;
  readonly id: string;
  readonly channel = 'whatsapp';
  readonly capabilities = whatsAppCloudCapabilities;
  readonly rateLimit: { perSecond: number };
  private readonly accessToken: string;
  private readonly phoneNumberId: string;
  private readonly appSecret: string;
  private readonly verifyToken: string;
  private readonly graphUrl: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof globalThis.fetch;

  constructor(settings: WhatsAppCloudConnectorSettings = {}) {
    const env = settings.env;
    this.id = settings.id ?? 'whatsapp';
    this.accessToken = requireSetting({
      value: settings.accessToken,
      environmentVariable: 'WHATSAPP_ACCESS_TOKEN',
      settingName: 'accessToken',
      env,
    });
    this.phoneNumberId = requireSetting({
      value: settings.phoneNumberId,
      environmentVariable: 'WHATSAPP_PHONE_NUMBER_ID',
      settingName: 'phoneNumberId',
      env,
    });
    this.appSecret = requireSetting({
      value: settings.appSecret,
      environmentVariable: 'WHATSAPP_APP_SECRET',
      settingName: 'appSecret',
      env,
    });
    this.verifyToken = requireSetting({
      value: settings.verifyToken,
      environmentVariable: 'WHATSAPP_VERIFY_TOKEN',
      settingName: 'verifyToken',
      env,
    });
    const graphUrl = loadSetting({
      value: settings.graphUrl,
      environmentVariable: 'WHATSAPP_GRAPH_URL',
      settingName: 'graphUrl',
      env,
      defaultValue: defaultWhatsAppGraphUrl,
    })!;
    this.graphUrl = graphUrl.replace(/\/+$/, '');
    this.rateLimit = { perSecond: settings.perSecond ?? 80 };
    this.timeoutMs = settings.timeoutMs ?? 15_000;
    // keep-alive node:http pools (msw and other node:http interceptors see these calls)
    this.fetch = settings.fetch ?? httpFetch;
  }

  async parse(request: InboundRequest): Promise<ParseResult> {
    const method = request.method.toUpperCase();
    if (method === 'GET') return answerWhatsAppCloudVerification(request.url, this.verifyToken);
    if (method !== 'POST') {
      throw ConnectorError.signatureInvalid(`${method} is neither a verification nor a webhook`);
    }
    const signature = request.headers['x-hub-signature-256'];
    if (!signature) throw ConnectorError.signatureInvalid('x-hub-signature-256 header missing');
    if (!verifyMetaSignature(this.appSecret, request.body, signature)) {
      throw ConnectorError.signatureInvalid('x-hub-signature-256 does not match the body');
    }
    const webhook = parseProviderPayload(whatsAppCloudWebhookSchema, parseJsonBody(request.body));
    return {
      events: convertWhatsAppCloudWebhook(webhook, { phoneNumberId: this.phoneNumberId }),
    };
  }

  checkRoute(check: RouteCheck): ConnectorError | undefined {
    return checkWhatsAppWindow(check);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    assertSendable(message.content, this.capabilities, this.channel);
    const bodies = convertToWhatsAppCloudMessages(message);
    const externalIds: string[] = [];
    for (const body of bodies) {
      const response = await this.call(`${this.graphUrl}/${this.phoneNumberId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const result = sendResponseSchema.safeParse(await readJson(response));
      if (!result.success) {
        throw new ConnectorError(
          'provider_rejected',
          'WhatsApp Cloud API accepted the message but named no message id',
          { statusCode: response.status, retryable: false },
        );
      }
      externalIds.push(result.data.messages[0]!.id);
    }
    return {
      externalId: externalIds[0]!,
      ...(externalIds.length > 1 ? { channelData: { externalIds } } : {}),
    };
  }

  /** Media a customer sent, by the Cloud API media id: its URL first, then the bytes. */
  async fetchMedia(mediaId: string): Promise<{ contentType: string; body: Uint8Array }> {
    if (!/^\d{1,40}$/.test(mediaId)) {
      throw ConnectorError.payloadInvalid('mediaId', `"${mediaId}" is not a WhatsApp media id`);
    }
    const info = mediaInfoSchema.safeParse(
      await readJson(await this.call(`${this.graphUrl}/${mediaId}`, { method: 'GET' })),
    );
    if (!info.success) {
      throw new ConnectorError(
        'provider_unavailable',
        'WhatsApp Cloud API answered the media lookup without a url',
        { retryable: true },
      );
    }
    const response = await this.call(info.data.url, { method: 'GET' });
    return {
      contentType:
        info.data.mime_type ?? response.headers.get('content-type') ?? 'application/octet-stream',
      body: new Uint8Array(await response.arrayBuffer()),
    };
  }

  /** One authenticated Graph API call; failures become typed errors. */
  private async call(
    url: string,
    init: { method: string; headers?: Record<string, string>; body?: string },
  ): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetch(url, {
        ...init,
        headers: { ...init.headers, authorization: `Bearer ${this.accessToken}` },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ConnectorError(
        'provider_unavailable',
        `WhatsApp Cloud API unreachable: ${error instanceof Error ? error.message : String(error)}`,
        { retryable: true, cause: error },
      );
    }
    if (!response.ok) {
      throw mapWhatsAppCloudError({
        status: response.status,
        body: await response.text().catch(() => ''),
        retryAfter: response.headers.get('retry-after'),
      });
    }
    return response;
  }
}

async function readJson(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return undefined;
  }
}

export function createWhatsAppCloudConnector(
  settings: WhatsAppCloudConnectorSettings = {},
): WhatsAppCloudConnector {
  return new WhatsAppCloudConnector(settings);
}
