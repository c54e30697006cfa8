import {
  ConnectorError,
  canonicalAddress,
  type InboundEvent,
  parseProviderPayload,
} from '@threadline/connector-kit';
import type { Address, Attachment, ChannelData, Content, MediaKind } from '@threadline/schema';
import { z } from 'zod';
import { detectOptOutKeyword } from './detect-opt-out-keyword.js';
import { mapTwilioErrorCode } from './map-twilio-error.js';
import { mapTwilioStatus } from './map-twilio-status.js';
import { toTwilioMediaId } from './twilio-media-id.js';

/** Twilio sends at most 10 media items with one message. */
export const maxTwilioMedia = 10;

const countSchema = z.string().regex(/^\d{1,3}$/, 'expected a count');

/** An incoming message webhook: only the fields we use. */
const twilioMessageWebhookSchema = z.object({
  MessageSid: z.string().min(1),
  From: z.string().min(1),
  To: z.string().nullish(),
  Body: z.string().nullish(),
  NumMedia: countSchema
    .refine((value) => Number(value) <= maxTwilioMedia, `at most ${maxTwilioMedia} media`)
    .nullish(),
  NumSegments: countSchema.nullish(),
  OptOutType: z.string().nullish(),
  MessagingServiceSid: z.string().nullish(),
});

/** A status callback for a message we sent. */
const twilioStatusCallbackSchema = z.object({
  MessageSid: z.string().min(1),
  MessageStatus: z.string().min(1),
  ErrorCode: z.string().nullish(),
  ErrorMessage: z.string().nullish(),
});

export interface TwilioWebhookContext {
  /** The account the webhook belongs to: media URLs of this account become media ids. */
  accountSid: string;
}

/**
 * True for a status callback: it carries `MessageStatus` and neither `Body` nor `NumMedia`,
 * which every incoming message webhook has.
 */
export function isTwilioStatusCallback(fields: Record<string, string>): boolean {
  return 'MessageStatus' in fields && !('Body' in fields) && !('NumMedia' in fields);
}

/**
 * Normalizes one Twilio messaging webhook (the form fields, first value of each name):
 * an incoming SMS/MMS becomes a message event, a status callback a status event.
 * Throws `payload_invalid` naming the field when the payload cannot be read.
 */
export function convertTwilioWebhook(
  fields: Record<string, string>,
  context: TwilioWebhookContext,
): InboundEvent {
  const withSid = { ...fields, MessageSid: fields.MessageSid ?? fields.SmsSid };
  if (isTwilioStatusCallback(fields)) return convertStatusCallback(withSid);
  if (!('Body' in fields) && !('NumMedia' in fields)) {
    throw ConnectorError.payloadInvalid(
      'Body',
      'neither a message (Body, NumMedia) nor a status callback (MessageStatus)',
    );
  }
  return convertIncomingMessage(withSid, context);
}

function convertStatusCallback(fields: Record<string, string | undefined>): InboundEvent {
  const callback = parseProviderPayload(twilioStatusCallbackSchema, fields);
  const status = mapTwilioStatus(callback.MessageStatus);
  if (status === undefined) {
    return {
      type: 'ignored',
      kind: 'twilio.status',
      reason: `status "${callback.MessageStatus}" is not tracked for outbound messages`,
    };
  }
  const providerStatus = callback.MessageStatus.trim().toLowerCase();
  const channelData: ChannelData = { providerStatus };
  const errorCode = callback.ErrorCode?.trim();
  if (status !== 'failed') {
    return { type: 'status', externalId: callback.MessageSid, status, channelData };
  }
  const twilioCode = errorCode && errorCode !== '0' ? errorCode : undefined;
  const meaning = mapTwilioErrorCode(twilioCode);
  const fallbackCode = providerStatus === 'canceled' ? 'canceled' : 'provider_rejected';
  return {
    type: 'status',
    externalId: callback.MessageSid,
    status,
    error: {
      code: twilioCode ?? fallbackCode,
      message:
        callback.ErrorMessage?.trim() ||
        (twilioCode ? meaning.description : `Twilio reported the message ${providerStatus}`),
      retryable: meaning.retryable,
    },
    channelData: { ...channelData, errorCategory: meaning.code },
  };
}

function convertIncomingMessage(
  fields: Record<string, string | undefined>,
  context: TwilioWebhookContext,
): InboundEvent {
  const webhook = parseProviderPayload(twilioMessageWebhookSchema, fields);
  const prefix = /^([a-z]+):/i.exec(webhook.From.trim())?.[1]?.toLowerCase();
  if (prefix && prefix !== 'sms' && prefix !== 'tel') {
    return {
      type: 'ignored',
      kind: `twilio.${prefix}`,
      reason: `a ${prefix} message reached the SMS webhook; point that sender at its own connector`,
    };
  }
  const from: Address = {
    channel: 'sms',
    address: canonicalAddress('sms', webhook.From, { path: 'From' }),
  };
  const to = ourAddress(webhook.To);
  const text = webhook.Body ?? '';
  const attachments = readMedia(fields, Number(webhook.NumMedia ?? '0'), context);
  const optOut = detectOptOutKeyword(text, webhook.OptOutType);
  const channelData: ChannelData = {
    ...(webhook.NumSegments ? { segments: Number(webhook.NumSegments) } : {}),
    ...(webhook.MessagingServiceSid ? { messagingServiceSid: webhook.MessagingServiceSid } : {}),
  };
  return {
    type: 'message',
    message: {
      externalId: webhook.MessageSid,
      from,
      ...(to ? { to } : {}),
      content: toContent(text, attachments),
      ...(optOut ? { optOut } : {}),
      ...(Object.keys(channelData).length > 0 ? { channelData } : {}),
    },
  };
}

/** Our number as an address: E.164, or the short code as given. */
function ourAddress(raw: string | null | undefined): Address | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  try {
    return { channel: 'sms', address: canonicalAddress('sms', value, { path: 'To' }) };
  } catch {
    return /^\d{3,8}$/.test(value) ? { channel: 'sms', address: value } : undefined;
  }
}

function toContent(text: string, attachments: Attachment[]): Content {
  if (attachments.length === 0) return { type: 'text', text };
  if (text.length === 0 && attachments.length === 1) return { type: 'media', ...attachments[0]! };
  return { type: 'text', text, attachments };
}

function readMedia(
  fields: Record<string, string | undefined>,
  count: number,
  context: TwilioWebhookContext,
): Attachment[] {
  const attachments: Attachment[] = [];
  for (let index = 0; index < count; index += 1) {
    const path = `MediaUrl${index}`;
    const raw = fields[path]?.trim();
    if (!raw) throw ConnectorError.payloadInvalid(path, `missing, but NumMedia is ${count}`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch (error) {
      throw ConnectorError.payloadInvalid(path, 'not a URL', error);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw ConnectorError.payloadInvalid(path, 'not an http(s) URL');
    }
    const mimeType = normalizeMimeType(fields[`MediaContentType${index}`]);
    const mediaId = toTwilioMediaId(url, context.accountSid);
    url.username = '';
    url.password = '';
    attachments.push({
      kind: mediaKindOf(mimeType),
      ...(mediaId ? { mediaId } : { url: url.href }),
      ...(mimeType ? { mimeType } : {}),
    });
  }
  return attachments;
}

function normalizeMimeType(raw: string | undefined): string | undefined {
  const value = raw?.split(';')[0]?.trim().toLowerCase();
  return value && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(value) ? value : undefined;
}

function mediaKindOf(mimeType: string | undefined): MediaKind {
  if (mimeType?.startsWith('image/')) return 'image';
  if (mimeType?.startsWith('video/')) return 'video';
  if (mimeType?.startsWith('audio/')) return 'audio';
  return 'file';
}
