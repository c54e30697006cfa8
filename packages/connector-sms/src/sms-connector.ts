import {
  assertSendable,
  type Capabilities,
  type ConnectorEnvironmentContext,
  ConnectorError,
  type ConnectorV1,
  defineCapabilities,
  type Environment,
  httpFetch,
  type InboundRequest,
  type InboundResponse,
  loadSetting,
  type OutboundMessage,
  type ParseResult,
  parseProviderPayload,
  requireSetting,
  type SendResult,
} from '@threadline/connector-kit';
import { z } from 'zod';
import { buildTwilioMessageForm } from './build-twilio-message-form.js';
import { convertTwilioWebhook } from './convert-twilio-webhook.js';
import { mapTwilioApiError, mapTwilioErrorCode } from './map-twilio-error.js';
import { mapTwilioStatus } from './map-twilio-status.js';
import { twilioMediaPath } from './twilio-media-id.js';
import { verifyTwilioRequest } from './verify-twilio-request.js';

export const defaultTwilioApiBase = 'https://api.twilio.com';

export interface SmsConnectorSettings {
  /** Connector id, unique per gateway; ingress is `/webhooks/sms/<id>`. Default `sms`. */
  id?: string;
  /** Account SID (`AC…`); falls back to `TWILIO_ACCOUNT_SID`. */
  accountSid?: string;
  /** Auth token: signs webhooks and authenticates API calls; falls back to `TWILIO_AUTH_TOKEN`. */
  authToken?: string;
  /** Sender number (E.164) or alphanumeric sender id; falls back to `TWILIO_FROM_NUMBER`. */
  fromNumber?: string;
  /** Messaging Service (`MG…`) to send through; falls back to `TWILIO_MESSAGING_SERVICE_SID`. */
  messagingServiceSid?: string;
  /** Base URL of the Twilio-compatible API; falls back to `TWILIO_API_BASE`, then Twilio's. */
  apiBase?: string;
  /** The gateway's public URL, for `StatusCallback`; falls back to `THREADLINE_PUBLIC_URL`. */
  publicUrl?: string;
  /** Path of this connector's ingress below `publicUrl`. Default `/webhooks/sms/<id>`. */
  webhookPath?: string;
  /** Outbound rate limit. Default 1 message per second, Twilio's rule for one long-code sender. */
  rateLimit?: { perSecond: number };
  /** Abort an API call after this long. Default 30 seconds. */
  requestTimeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  /** Where settings not given fall back to. Default `process.env`. */
  env?: Environment;
}

/** SMS and MMS: 1600 characters of text (Twilio's limit), up to 10 media, nothing else. */
export const smsCapabilities: Capabilities = defineCapabilities({
  text: { maxLength: 1600 },
  media: ['image', 'video', 'audio', 'file'],
  maxAttachments: 10,
});

/** The answer Twilio expects from a messaging webhook when we send no reply in it. */
export const emptyTwimlResponse: Readonly<InboundResponse> = {
  status: 200,
  headers: { 'content-type': 'text/xml' },
  body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
};

/** The Message resource Twilio answers a send with: only the fields we use. */
const twilioMessageSchema = z.object({
  sid: z.string().min(1),
  status: z.string().nullish(),
  error_code: z.union([z.number(), z.string()]).nullish(),
  error_message: z.string().nullish(),
});

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 3;

function configurationError(message: string): ConnectorError {
  return new ConnectorError('configuration_invalid', message);
}

function baseUrl(value: string, settingName: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configurationError(`${settingName} "${value}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw configurationError(`${settingName} "${value}" is not an http(s) URL`);
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * SMS and MMS over a Twilio-compatible Messaging API. Inbound messages and status callbacks
 * arrive on one webhook, signed with `X-Twilio-Signature`; sends go to `Messages.json`;
 * media Twilio holds behind the account's credentials is downloaded through `fetchMedia`.
 */
export class SmsConnector implements ConnectorV1 {
  readonly specificationVersion = 'v1' as const;
  readonly id: string;
  readonly channel = 'sms';
  readonly capabilities = smsCapabilities;
  readonly rateLimit: { perSecond: number };
  readonly accountSid: string;
  readonly apiBase: string;
  /** Where Twilio posts status callbacks; none when no public URL is configured. */
  readonly statusCallbackUrl: string | undefined;
  readonly #authToken: string;
  readonly #fromNumber: string | undefined;
  readonly #messagingServiceSid: string | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #requestTimeoutMs: number;

  constructor(settings: SmsConnectorSettings = {}) {
    const env = settings.env ?? process.env;
    this.id = settings.id ?? 'sms';
    this.accountSid = requireSetting({
      value: settings.accountSid,
      environmentVariable: 'TWILIO_ACCOUNT_SID',
      settingName: 'accountSid',
      env,
    });
    this.#authToken = requireSetting({
      value: settings.authToken,
      environmentVariable: 'TWILIO_AUTH_TOKEN',
      settingName: 'authToken',
      env,
    });
    this.#fromNumber = loadSetting({
      value: settings.fromNumber,
      environmentVariable: 'TWILIO_FROM_NUMBER',
      settingName: 'fromNumber',
      env,
    })?.trim();
    this.#messagingServiceSid = loadSetting({
      value: settings.messagingServiceSid,
      environmentVariable: 'TWILIO_MESSAGING_SERVICE_SID',
      settingName: 'messagingServiceSid',
      env,
    })?.trim();
    if (!this.#fromNumber && !this.#messagingServiceSid) {
      throw configurationError(
        'fromNumber or messagingServiceSid is missing: pass one in the settings or set TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID',
      );
    }
    this.apiBase = baseUrl(
      loadSetting({
        value: settings.apiBase,
        environmentVariable: 'TWILIO_API_BASE',
        settingName: 'apiBase',
        env,
        defaultValue: defaultTwilioApiBase,
      }) ?? defaultTwilioApiBase,
      'apiBase',
    );
    const publicUrl = loadSetting({
      value: settings.publicUrl,
      environmentVariable: 'THREADLINE_PUBLIC_URL',
      settingName: 'publicUrl',
      env,
    });
    const webhookPath = settings.webhookPath ?? `/webhooks/sms/${this.id}`;
    this.statusCallbackUrl = publicUrl
      ? `${baseUrl(publicUrl, 'publicUrl')}${webhookPath.startsWith('/') ? '' : '/'}${webhookPath}`
      : undefined;
    const perSecond = settings.rateLimit?.perSecond ?? 1;
    if (!(perSecond > 0)) throw configurationError('rateLimit.perSecond must be above 0');
    this.rateLimit = { perSecond };
    this.#requestTimeoutMs = settings.requestTimeoutMs ?? 30_000;
    this.#fetch = settings.fetch ?? httpFetch;
  }

  async parse(request: InboundRequest): Promise<ParseResult> {
    const form = verifyTwilioRequest(this.#authToken, request);
    const event = convertTwilioWebhook(form.fields, { accountSid: this.accountSid });
    return {
      events: [event],
      response: { ...emptyTwimlResponse, headers: { ...emptyTwimlResponse.headers } },
    };
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    assertSendable(message.content, this.capabilities, this.channel);
    const { form, segments, mediaCount } = buildTwilioMessageForm(
      message,
      { fromNumber: this.#fromNumber, messagingServiceSid: this.#messagingServiceSid },
      this.statusCallbackUrl,
    );
    const url = `${this.apiBase}/2010-04-01/Accounts/${encodeURIComponent(this.accountSid)}/Messages.json`;
    const response = await this.#call(url, {
      method: 'POST',
      headers: {
        authorization: this.#basicAuthorization(),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
    });
    const text = await readBody(() => response.text());
    if (!response.ok) {
      throw mapTwilioApiError({
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: text,
      });
    }
    const created = parseProviderPayload(twilioMessageSchema, parseJson(text));
    const status = created.status ? mapTwilioStatus(created.status) : undefined;
    if (status === 'failed') throw rejectedOnCreate(created, response.status);
    return {
      externalId: created.sid,
      status: status === 'sent' || status === 'delivered' ? status : 'queued',
      channelData: {
        segments: segments.segments,
        encoding: segments.encoding,
        ...(mediaCount > 0 ? { mediaCount } : {}),
      },
    };
  }

  /**
   * Downloads media Twilio holds for this account, with the account's credentials. Twilio
   * answers with a redirect to its storage; credentials are never sent to another origin.
   */
  async fetchMedia(
    mediaId: string,
  ): Promise<{ contentType: string; body: Uint8Array; filename?: string }> {
    const path = twilioMediaPath(mediaId, this.accountSid);
    if (!path) throw new ConnectorError('not_found', `"${mediaId}" is not an SMS media id`);
    let url = new URL(`${this.apiBase}${path}`);
    let authorized = true;
    for (let redirects = 0; redirects <= maxRedirects; redirects += 1) {
      const response = await this.#call(url.href, {
        method: 'GET',
        redirect: 'manual',
        headers: authorized ? { authorization: this.#basicAuthorization() } : {},
      });
      const location = response.headers.get('location');
      if (redirectStatuses.has(response.status) && location) {
        await response.body?.cancel();
        const next = new URL(location, url);
        authorized = authorized && next.origin === url.origin;
        url = next;
        continue;
      }
      if (response.ok) {
        return {
          contentType: response.headers.get('content-type') ?? 'application/octet-stream',
          body: new Uint8Array(await readBody(() => response.arrayBuffer())),
        };
      }
      const text = await readBody(() => response.text());
      if (response.status === 404) {
        throw new ConnectorError('not_found', `Twilio has no media ${mediaId}`, {
          statusCode: 404,
        });
      }
      throw mapTwilioApiError({
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: text,
      });
    }
    throw new ConnectorError('provider_unavailable', `media ${mediaId}: too many redirects`, {
      retryable: true,
    });
  }

  #basicAuthorization(): string {
    return `Basic ${Buffer.from(`${this.accountSid}:${this.#authToken}`).toString('base64')}`;
  }

  /** One HTTP call with a timeout; network failures become retryable `provider_unavailable`. */
  async #call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(url, {
        ...init,
        signal: AbortSignal.timeout(this.#requestTimeoutMs),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConnectorError('provider_unavailable', `Twilio could not be reached: ${reason}`, {
        retryable: true,
        cause: error,
      });
    }
  }
}

/** Reads a response body; a connection lost or timed out meanwhile is a retryable outage. */
async function readBody<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectorError('provider_unavailable', `Twilio's answer was cut off: ${reason}`, {
      retryable: true,
      cause: error,
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw ConnectorError.payloadInvalid('(body)', 'Twilio answered with no JSON', error);
  }
}

function rejectedOnCreate(
  created: z.infer<typeof twilioMessageSchema>,
  statusCode: number,
): ConnectorError {
  const providerCode =
    created.error_code === undefined || created.error_code === null
      ? undefined
      : String(created.error_code);
  const meaning = mapTwilioErrorCode(providerCode);
  return new ConnectorError(
    meaning.code,
    `Twilio failed message ${created.sid} at once: ${created.error_message ?? meaning.description}`,
    {
      statusCode,
      retryable: meaning.retryable,
      ...(providerCode === undefined ? {} : { providerCode }),
    },
  );
}

/** A connector from the settings, with environment variables for anything not given. */
export function createSmsConnector(settings: SmsConnectorSettings = {}): SmsConnector {
  return new SmsConnector(settings);
}

/**
 * The `sms` connector from the gateway's environment, or undefined when `TWILIO_ACCOUNT_SID`
 * is not set. `StatusCallback` points at `<publicUrl>/webhooks/sms/sms`.
 * `TWILIO_RATE_LIMIT_PER_SECOND` overrides the default of 1 message per second.
 */
export function smsConnectorFromEnv(
  context: ConnectorEnvironmentContext,
): SmsConnector | undefined {
  if (!context.env.TWILIO_ACCOUNT_SID) return undefined;
  const rate = context.env.TWILIO_RATE_LIMIT_PER_SECOND;
  const perSecond = rate === undefined || rate === '' ? undefined : Number(rate);
  if (perSecond !== undefined && !(perSecond > 0)) {
    throw configurationError(`TWILIO_RATE_LIMIT_PER_SECOND "${rate}" is not a positive number`);
  }
  return createSmsConnector({
    env: context.env,
    ...(context.publicUrl ? { publicUrl: context.publicUrl } : {}),
    ...(perSecond === undefined ? {} : { rateLimit: { perSecond } }),
  });
}
