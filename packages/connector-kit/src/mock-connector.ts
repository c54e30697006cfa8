import type { Channel, Content, MessageStatus } from '@threadline/schema';
import { contentSchema } from '@threadline/schema';
import { z } from 'zod';
import { canonicalAddress } from './address.js';
import { type Capabilities, defineCapabilities } from './capabilities.js';
import type {
  ConnectorV1,
  InboundEvent,
  InboundRequest,
  OutboundMessage,
  ParseResult,
  RouteCheck,
  SendResult,
} from './connector.js';
import { ConnectorError } from './errors.js';
import { parseJsonBody, parseProviderPayload } from './parse-payload.js';
import { renderForChannel } from './render-down.js';
import { hmacSha256Hex, safeEqual } from './signatures.js';

/** How a fake provider fails the next send. */
export type ProviderFailure =
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'unavailable' }
  | { kind: 'rejected' };

/** The mock provider's status names, mapped to ours (exercises status mapping). */
export const mockProviderStatuses: Record<string, MessageStatus> = {
  accepted: 'sent',
  delivered: 'delivered',
  seen: 'read',
  error: 'failed',
};

const mockPayloadSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message'),
    id: z.string().min(1),
    from: z.string().min(1),
    content: contentSchema,
    sentAt: z.iso.datetime().optional(),
    replyTo: z.string().min(1).optional(),
  }),
  z.object({
    kind: z.literal('status'),
    id: z.string().min(1),
    status: z.enum(Object.keys(mockProviderStatuses) as [string, ...string[]]),
    errorCode: z.string().optional(),
  }),
  z.object({ kind: z.literal('edit'), id: z.string().min(1), content: contentSchema }),
]);

export type MockPayload = z.input<typeof mockPayloadSchema>;

export interface MockConnectorSettings {
  id?: string;
  channel?: Channel;
  capabilities?: Partial<Capabilities>;
  /** Shared secret for the `x-mock-signature` header (hex HMAC-SHA256 of the body). */
  secret?: string;
  /** A channel rule, as a real connector would declare one. */
  checkRoute?: (check: RouteCheck) => ConnectorError | undefined;
  /** Status reported right after a send. */
  sendStatus?: SendResult['status'];
}

/**
 * An in-memory connector: inbound requests are JSON signed with a shared secret, sends are
 * recorded. It passes the conformance suite and stands in for a provider in engine and
 * gateway tests.
 */
export class MockConnector implements ConnectorV1 {
  readonly specificationVersion = 'v1' as const;
  readonly id: string;
  readonly channel: Channel;
  readonly capabilities: Capabilities;
  readonly secret: string;
  /** Every message the provider accepted, oldest first. */
  readonly sent: Array<OutboundMessage & { externalId: string }> = [];
  /** Every send attempt, including failed ones. */
  attempts = 0;
  private readonly failures: ProviderFailure[] = [];
  private failEverySend: ProviderFailure | null = null;
  private readonly routeRule: MockConnectorSettings['checkRoute'];
  private readonly sendStatus: SendResult['status'];
  private counter = 0;

  constructor(settings: MockConnectorSettings = {}) {
    this.channel = settings.channel ?? 'mock';
    this.id = settings.id ?? this.channel;
    this.capabilities = defineCapabilities({
      text: { maxLength: 4096 },
      media: ['image', 'file'],
      maxAttachments: 1,
      buttons: { max: 3, titleMaxLength: 20 },
      ...settings.capabilities,
    });
    this.secret = settings.secret ?? 'mock-secret';
    this.routeRule = settings.checkRoute;
    this.sendStatus = settings.sendStatus;
  }

  /** A correctly signed inbound request carrying `payload`. */
  request(
    payload: MockPayload | Record<string, unknown>,
    options: { signature?: string } = {},
  ): InboundRequest {
    const body = JSON.stringify(payload);
    return this.sign(
      {
        method: 'POST',
        url: `https://gateway.test/webhooks/${this.channel}/${this.id}`,
        headers: { 'content-type': 'application/json' },
        body,
      },
      options.signature,
    );
  }

  /** (Re)sign a request's body, or set an explicit signature. */
  sign(request: InboundRequest, signature?: string): InboundRequest {
    return {
      ...request,
      headers: {
        ...request.headers,
        'x-mock-signature': signature ?? hmacSha256Hex(this.secret, request.body),
      },
    };
  }

  /** Make the next send fail. */
  failNext(failure: ProviderFailure): void {
    this.failures.push(failure);
  }

  /** Make every send fail until `failAlways(null)`. */
  failAlways(failure: ProviderFailure | null): void {
    this.failEverySend = failure;
  }

  reset(): void {
    this.sent.length = 0;
    this.failures.length = 0;
    this.failEverySend = null;
    this.attempts = 0;
  }

  async parse(request: InboundRequest): Promise<ParseResult> {
    const signature = request.headers['x-mock-signature'];
    if (!signature) throw ConnectorError.signatureInvalid('x-mock-signature header missing');
    if (!safeEqual(hmacSha256Hex(this.secret, request.body), signature)) {
      throw ConnectorError.signatureInvalid('x-mock-signature does not match the body');
    }
    const payload = parseProviderPayload(mockPayloadSchema, parseJsonBody(request.body));
    const events: InboundEvent[] = [];
    switch (payload.kind) {
      case 'message':
        events.push({
          type: 'message',
          message: {
            externalId: payload.id,
            from: {
              channel: this.channel,
              address: canonicalAddress(this.channel, payload.from, { path: 'from' }),
            },
            content: payload.content,
            ...(payload.sentAt ? { createdAt: new Date(payload.sentAt).toISOString() } : {}),
            ...(payload.replyTo ? { replyToExternalId: payload.replyTo } : {}),
          },
        });
        break;
      case 'status': {
        const status = mockProviderStatuses[payload.status]!;
        events.push({
          type: 'status',
          externalId: payload.id,
          status,
          ...(status === 'failed'
            ? {
                error: {
                  code: payload.errorCode ?? 'provider_rejected',
                  message: 'the provider reported an error',
                  retryable: false,
                },
              }
            : {}),
        });
        break;
      }
      case 'edit':
        events.push({ type: 'edit', externalId: payload.id, content: payload.content });
        break;
    }
    return { events };
  }

  checkRoute(check: RouteCheck): ConnectorError | undefined {
    return this.routeRule?.(check);
  }

  async send(message: OutboundMessage): Promise<SendResult> {
    assertSendable(message.content, this.capabilities, this.channel);
    this.attempts += 1;
    const failure = this.failures.shift() ?? this.failEverySend;
    if (failure) throw mockFailure(failure);
    this.counter += 1;
    const externalId = `mock-${this.id}-${this.counter}-${message.id}`;
    this.sent.push({ ...message, externalId });
    return { externalId, ...(this.sendStatus ? { status: this.sendStatus } : {}) };
  }
}

function mockFailure(failure: ProviderFailure): ConnectorError {
  switch (failure.kind) {
    case 'rate_limited':
      return new ConnectorError('rate_limited', 'mock provider: too many requests', {
        statusCode: 429,
        retryable: true,
        retryAfterMs: failure.retryAfterMs,
      });
    case 'unavailable':
      return new ConnectorError('provider_unavailable', 'mock provider: 503', {
        statusCode: 503,
        retryable: true,
      });
    case 'rejected':
      return new ConnectorError('provider_rejected', 'mock provider: recipient unknown', {
        statusCode: 400,
        retryable: false,
        providerCode: 'unknown_recipient',
      });
  }
}

/**
 * Throws `unsupported_content` unless `content` can be sent without rendering down. Real
 * connectors call this first in `send`, so they never send what they did not declare.
 */
export function assertSendable(
  content: Content,
  capabilities: Capabilities,
  channel: string,
): void {
  let rendered: ReturnType<typeof renderForChannel>;
  try {
    rendered = renderForChannel(content, capabilities, channel);
  } catch (error) {
    if (ConnectorError.isConnectorError(error)) throw error;
    throw ConnectorError.unsupportedContent(channel, String(error));
  }
  if (rendered.parts.length !== 1 || rendered.parts[0] !== content) {
    throw ConnectorError.unsupportedContent(
      channel,
      `${content.type} content must be rendered down first`,
    );
  }
}
