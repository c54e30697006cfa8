import type { Content, MessageStatus } from '@threadline/schema';
import { z } from 'zod';

/** The protocol version the server speaks; a widget sends it in `hello`. */
export const webchatProtocolVersion = 1;

/** The longest text a visitor may send or receive, in characters. */
export const webchatMaxTextLength = 4000;

const clientIdSchema = z.string().min(1).max(200);
const messageIdSchema = z.string().min(1).max(200);

/** What a visitor may send: text, or a press of a button the business offered. */
export const visitorContentSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    text: z
      .string()
      .max(webchatMaxTextLength, `text is longer than ${webchatMaxTextLength} characters`)
      .refine((text) => text.trim().length > 0, 'text is empty'),
  }),
  z.object({
    type: z.literal('postback'),
    payload: z.string().min(1).max(256),
    title: z.string().min(1).max(256).optional(),
  }),
]);
export type VisitorContent = z.infer<typeof visitorContentSchema>;

export const helloFrameSchema = z.object({
  type: z.literal('hello'),
  version: z.number().int().positive().optional(),
  visitorId: z.string().min(1).max(200).nullish(),
  resumeToken: z.string().min(1).max(200).nullish(),
  identityToken: z.string().min(1).max(4096).nullish(),
  pageUrl: z.string().max(2000).nullish(),
});

export const messageFrameSchema = z.object({
  type: z.literal('message'),
  clientId: clientIdSchema,
  content: visitorContentSchema,
});

export const receiptFrameSchema = z.object({
  type: z.literal('receipt'),
  messageId: messageIdSchema,
  status: z.enum(['delivered', 'read', 'failed']),
  reason: z.string().max(500).nullish(),
});

export const typingFrameSchema = z.object({ type: z.literal('typing'), typing: z.boolean() });
export const pingFrameSchema = z.object({ type: z.literal('ping') });

/** Every frame a widget sends over the socket. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  helloFrameSchema,
  messageFrameSchema,
  receiptFrameSchema,
  typingFrameSchema,
  pingFrameSchema,
]);

export type HelloFrame = z.infer<typeof helloFrameSchema>;
export type MessageFrame = z.infer<typeof messageFrameSchema>;
export type ReceiptFrame = z.infer<typeof receiptFrameSchema>;
export type ClientFrame = z.infer<typeof clientFrameSchema>;

/**
 * The body of the HTTP fallback (`POST /webhooks/webchat/<id>`): message and receipt frames,
 * exactly as they would travel on the socket, plus the identity token the socket would have
 * carried in `hello`.
 */
export const httpFallbackBodySchema = z.object({
  identityToken: z.string().min(1).max(4096).nullish(),
  frames: z
    .array(z.discriminatedUnion('type', [messageFrameSchema, receiptFrameSchema]))
    .min(1)
    .max(20),
});
export type HttpFallbackBody = z.infer<typeof httpFallbackBodySchema>;

/** One message as the widget shows it. */
export interface WireMessage {
  /** The gateway's message id. */
  id: string;
  /** `inbound`: from the visitor; `outbound`: from the business. */
  direction: 'inbound' | 'outbound';
  content: Content;
  status: MessageStatus;
  createdAt: string;
  /** For the visitor's own messages: the client id the widget generated. */
  clientId?: string;
  /** True when the widget reports `delivered` and `read` for this message. */
  receipt: boolean;
}

export interface WebchatLimits {
  maxTextLength: number;
  maxFrameBytes: number;
  messagesPerSecond: number;
  burst: number;
}

/** Stable codes of protocol error frames. */
export const webchatErrorCodes = {
  not_ready: 'Web chat is starting or stopping on this server; reconnect shortly.',
  origin_not_allowed: 'The page embedding the widget is not on the allowed origin list.',
  hello_required: 'The first frame on a socket must be `hello`.',
  frame_invalid: 'The frame is not valid JSON or does not have the documented shape; see `path`.',
  frame_too_large: 'The frame is larger than `limits.maxFrameBytes`.',
  rate_limited: 'Too many frames or messages; retry after `retryAfterMs`.',
  resume_invalid: 'The visitor id or resume token is not valid; a new visitor was started.',
  identity_invalid: 'The identity token is not signed with the site secret; nothing was linked.',
  identity_expired: 'The identity token has expired; nothing was linked.',
  visitor_blocked: 'This visitor was blocked by the business.',
  unknown_message: 'A receipt names a message that was not sent to this visitor.',
  unavailable: 'The message could not be stored; send it again.',
} as const;
export type WebchatErrorCode = keyof typeof webchatErrorCodes;

export type ServerFrame =
  | {
      type: 'welcome';
      version: number;
      visitorId: string;
      resumeToken: string;
      resumed: boolean;
      identified: boolean;
      limits: WebchatLimits;
    }
  | { type: 'history'; messages: WireMessage[] }
  | { type: 'message'; message: WireMessage }
  | { type: 'ack'; clientId: string; messageId: string; duplicate: boolean }
  | { type: 'typing'; typing: boolean }
  | { type: 'pong' }
  | {
      type: 'error';
      code: WebchatErrorCode;
      message: string;
      clientId?: string;
      messageId?: string;
      path?: string;
      retryAfterMs?: number;
    };

/** WebSocket close codes the server uses. */
export const webchatCloseCodes = {
  goingAway: 1001,
  policyViolation: 1008,
  tooLarge: 1009,
  tryAgainLater: 1013,
} as const;

/** The provider id of an outbound message: stable, derived from the gateway's message id. */
export function outboundExternalId(messageId: string): string {
  return `wc_out_${messageId}`;
}

/** The gateway message id inside an outbound external id, or undefined for any other id. */
export function messageIdFromExternalId(externalId: string): string | undefined {
  return externalId.startsWith('wc_out_') ? externalId.slice('wc_out_'.length) : undefined;
}

/** Client message ids are `wc_<visitorId>_<unique>`: dedupe keys scoped to one visitor. */
export function isClientIdOf(visitorId: string, clientId: string): boolean {
  const prefix = `wc_${visitorId}_`;
  return clientId.startsWith(prefix) && clientId.length > prefix.length;
}
