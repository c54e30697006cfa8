import { createHash } from 'node:crypto';
import {
  ConnectorError,
  type InboundEvent,
  type InboundMessage,
  toCanonicalEmail,
} from '@threadline/connector-kit';
import type { Attachment, ChannelData, MediaKind } from '@threadline/schema';
import type { AddressObject, ParsedMail, Attachment as ParsedMailAttachment } from 'mailparser';
import { detectAutomatedMail } from './detect-automated-mail.js';
import { messageIdsIn, stripMessageId } from './email-message-id.js';
import { extractNewText } from './extract-new-text.js';
import { headerSection, headerValues, type RawHeaderLine, readFieldBlock } from './mail-headers.js';
import { readAuthenticationResults } from './read-authentication-results.js';
import {
  mapDeliveryReport,
  readDeliveryStatus,
  readDispositionNotification,
} from './read-delivery-report.js';

/** The SMTP envelope of a message our server received. */
export interface MailEnvelope {
  /** `MAIL FROM`; empty for bounces. */
  mailFrom?: string;
  /** `RCPT TO` addresses, in order. */
  rcptTo: string[];
}

/** Where an attachment was stored (the gateway's `saveMedia`). */
export interface StoredMedia {
  mediaId: string;
  url?: string;
}

export interface ConvertParsedMailOptions {
  /** The message exactly as received, for ids derived from its content. */
  raw: Uint8Array;
  /** When the message arrived: its time when the Date header cannot be read. */
  receivedAt: Date;
  /** Our domains: picks the address the customer wrote to. */
  inboundDomains?: readonly string[];
  /** Authserv-ids whose `Authentication-Results` are trusted (see readAuthenticationResults). */
  trustedAuthServIds?: readonly string[];
  envelope?: MailEnvelope;
  /** Stored copies of {@link mediaAttachments}, by index. */
  media?: ReadonlyArray<StoredMedia | undefined>;
}

const returnedHeaderTypes = new Set([
  'text/rfc822-headers',
  'message/rfc822',
  'message/global',
  'message/global-headers',
]);

/** Header lines that each server on the way adds: left out of content-derived ids. */
const traceHeaders = new Set([
  'received',
  'x-received',
  'return-path',
  'delivered-to',
  'x-original-to',
  'authentication-results',
  'received-spf',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
]);

function contentTypeOf(mail: ParsedMail): { value: string; params: Record<string, string> } {
  const header = mail.headers.get('content-type');
  if (header && typeof header === 'object' && 'params' in header) {
    return { value: String(header.value).toLowerCase(), params: header.params };
  }
  return { value: 'text/plain', params: {} };
}

function isReport(mail: ParsedMail): boolean {
  return contentTypeOf(mail).value === 'multipart/report';
}

/**
 * The attachments of `mail` that become media on the message. A delivery report has none:
 * its parts are read, not stored.
 */
export function mediaAttachments(mail: ParsedMail): ParsedMailAttachment[] {
  return isReport(mail) ? [] : mail.attachments;
}

/**
 * A stable id for a message without a Message-ID: a hash of the message without the trace
 * headers each server adds, so a redelivery through another hop gets the same id.
 */
export function derivedMessageId(raw: Uint8Array): string {
  const text = Buffer.from(raw).toString('latin1');
  const head = headerSection(text);
  const body = text.slice(head.length);
  const kept = readFieldBlock(head)
    .filter((field) => !traceHeaders.has(field.key))
    .map((field) => field.line)
    .join('\n');
  const digest = createHash('sha256').update(kept, 'latin1').update(body, 'latin1').digest('hex');
  return `generated.${digest.slice(0, 40)}@threadline.invalid`;
}

function addressesOf(value: AddressObject | AddressObject[] | undefined): string[] {
  const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
  const addresses: string[] = [];
  const visit = (entries: AddressObject['value']) => {
    for (const entry of entries) {
      if (entry.group) visit(entry.group);
      else if (entry.address) addresses.push(entry.address);
    }
  };
  for (const object of objects) visit(object.value);
  return addresses;
}

function canonicalOrUndefined(address: string): string | undefined {
  try {
    return toCanonicalEmail(address);
  } catch {
    return undefined;
  }
}

function canonicalList(addresses: readonly string[]): string[] {
  return addresses.flatMap((address) => canonicalOrUndefined(address) ?? []);
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

function readDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value.replace(/\s+\([^)]*\)\s*$/, ''));
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1970 || year > 9999) return undefined;
  return date;
}

function mediaKindOf(mimeType: string): MediaKind {
  if (mimeType.startsWith('image/')) return 'image';
  if (mimeType.startsWith('audio/')) return 'audio';
  if (mimeType.startsWith('video/')) return 'video';
  return 'file';
}

/** Problems the message has that did not stop it from being read, for whoever inspects it. */
function readWarnings(mail: ParsedMail, raw: Uint8Array): string[] {
  const warnings: string[] = [];
  const head = headerSection(Buffer.from(raw).toString('latin1'));
  if (/[\u0080-\u00ff]/.test(head)) {
    warnings.push('the header contains unencoded 8-bit characters');
  }
  const { value, params } = contentTypeOf(mail);
  const boundary = params.boundary;
  if (value.startsWith('multipart/') && boundary) {
    const text = Buffer.from(raw).toString('latin1');
    if (!text.includes(`--${boundary}--`)) {
      warnings.push(`the multipart body is not closed (no "--${boundary}--")`);
    }
  }
  return warnings;
}

function reportEvents(
  mail: ParsedMail,
  raw: Uint8Array,
  headers: readonly RawHeaderLine[],
  receivedAt: Date,
): InboundEvent[] {
  const { params } = contentTypeOf(mail);
  const reportType = (params['report-type'] ?? '').toLowerCase();
  const ownId = stripMessageId(headerValues(headers, 'message-id')[0]);
  const part = (types: readonly string[]) =>
    mail.attachments.find((attachment) => types.includes(attachment.contentType.toLowerCase()));
  const returnedMessageId = (): string | undefined => {
    for (const attachment of mail.attachments) {
      if (!returnedHeaderTypes.has(attachment.contentType.toLowerCase())) continue;
      const fields = readFieldBlock(headerSection(attachment.content.toString('utf8')));
      const id = stripMessageId(headerValues(fields, 'message-id')[0]);
      if (id) return id;
    }
    // the original headers were not in a part of their own: look through the whole report
    const text = Buffer.from(raw).toString('latin1');
    for (const match of text.matchAll(/^Message-ID:\s*(<[^<>\s]+>)/gim)) {
      const id = stripMessageId(match[1]);
      if (id && id !== ownId) return id;
    }
    return undefined;
  };
  const occurredAt = readDate(headerValues(headers, 'date')[0]) ?? receivedAt;
  const channelData: ChannelData = {
    ...(mail.subject ? { subject: mail.subject } : {}),
    ...(ownId ? { messageId: ownId } : {}),
    reportType: reportType || 'unknown',
  };

  if (reportType === 'delivery-status' || reportType === 'global-delivery-status') {
    const statusPart = part(['message/delivery-status', 'message/global-delivery-status']);
    const report = readDeliveryStatus(statusPart ? statusPart.content.toString('utf8') : '');
    const externalId = returnedMessageId() ?? stripMessageId(report.originalEnvelopeId);
    const outcome = mapDeliveryReport(report);
    if (!externalId) {
      return [
        {
          type: 'ignored',
          kind: 'email.delivery_report',
          reason: 'the delivery report does not name the original Message-ID',
        },
      ];
    }
    if (outcome.status === null) {
      return [{ type: 'ignored', kind: 'email.delivery_report', reason: outcome.reason }];
    }
    const { recipient } = outcome;
    const details: ChannelData = {
      ...channelData,
      ...(recipient.finalRecipient ? { recipient: recipient.finalRecipient } : {}),
      ...(recipient.diagnostic ? { diagnostic: recipient.diagnostic } : {}),
      ...(report.reportingMta ? { reportingMta: report.reportingMta } : {}),
    };
    return [
      {
        type: 'status',
        externalId,
        status: outcome.status,
        occurredAt: occurredAt.toISOString(),
        channelData: details,
        ...(outcome.status === 'failed'
          ? {
              error: {
                code: recipient.status ?? 'bounced',
                message:
                  recipient.diagnostic ??
                  `delivery to ${recipient.finalRecipient ?? 'the recipient'} failed`,
                retryable: false,
              },
            }
          : {}),
      },
    ];
  }

  if (reportType === 'disposition-notification') {
    const notificationPart = part([
      'message/disposition-notification',
      'message/global-disposition-notification',
    ]);
    const notification = readDispositionNotification(
      notificationPart ? notificationPart.content.toString('utf8') : '',
    );
    const externalId = stripMessageId(notification.originalMessageId) ?? returnedMessageId();
    if (externalId && notification.disposition === 'displayed') {
      return [
        {
          type: 'status',
          externalId,
          status: 'read',
          occurredAt: occurredAt.toISOString(),
          channelData,
        },
      ];
    }
    return [
      {
        type: 'ignored',
        kind: 'email.disposition_notification',
        reason: externalId
          ? `disposition "${notification.disposition ?? 'unknown'}" is not a read`
          : 'the read receipt does not name the original Message-ID',
      },
    ];
  }

  return [
    {
      type: 'ignored',
      kind: 'email.report',
      reason: `report type "${reportType || 'unknown'}" is recorded but not acted on`,
    },
  ];
}

/**
 * Normalizes a parsed email into Threadline events (pure: the caller parses and stores).
 *
 * - A delivery status notification about one of our messages becomes a `status` event
 *   (`failed` with the enhanced status code and the server's diagnostic, or `delivered`);
 *   a read receipt (`displayed`) becomes `read`; other reports are `ignored`, still recorded.
 * - Anything else is one `message`: the sender lower-cased, `content.text` the new part of
 *   the message only (quoted history and signature stripped), attachments as media, and the
 *   full text, HTML, subject, ids, recipients and authentication results in `channelData`.
 *
 * Throws `payload_invalid` (with a path) only when the message cannot be attributed to a
 * sender: the caller quarantines it.
 */
export function convertParsedMail(
  mail: ParsedMail,
  options: ConvertParsedMailOptions,
): InboundEvent[] {
  const headers: readonly RawHeaderLine[] = mail.headerLines ?? [];
  if (isReport(mail)) return reportEvents(mail, options.raw, headers, options.receivedAt);

  const senderRaw = addressesOf(mail.from)[0] ?? options.envelope?.mailFrom;
  if (!senderRaw) {
    throw ConnectorError.payloadInvalid('from', 'the message has no sender address');
  }
  const from = toCanonicalEmail(senderRaw, { path: 'from' });
  const senderName = mail.from?.value[0]?.name?.trim();

  const warnings = readWarnings(mail, options.raw);
  const headerMessageId = stripMessageId(headerValues(headers, 'message-id')[0]);
  if (!headerMessageId) warnings.push('no Message-ID header: the id is derived from the content');
  const externalId = headerMessageId ?? derivedMessageId(options.raw);

  const rawDate = headerValues(headers, 'date')[0];
  const date = readDate(rawDate);
  if (rawDate !== undefined && date === undefined) {
    warnings.push(`the Date header "${rawDate}" is not a date: the receive time is used`);
  }
  const createdAt = (date ?? options.receivedAt).toISOString();

  const inReplyTo = messageIdsIn(headerValues(headers, 'in-reply-to'))[0];
  const references = messageIdsIn([
    ...headerValues(headers, 'references'),
    ...(inReplyTo ? [`<${inReplyTo}>`] : []),
  ]).filter((id) => id !== externalId);

  const ourDomains = new Set((options.inboundDomains ?? []).map((domain) => domain.toLowerCase()));
  const toList = canonicalList(addressesOf(mail.to));
  const envelopeRecipients = canonicalList(options.envelope?.rcptTo ?? []);
  const ours = (address: string) => ourDomains.has(domainOf(address));
  const to =
    envelopeRecipients.find(ours) ?? toList.find(ours) ?? envelopeRecipients[0] ?? toList[0];

  const fullText = (mail.text ?? '').replace(/\r\n?/g, '\n').trim();
  const { text: newText } = extractNewText(fullText);

  const attachments: Attachment[] = mediaAttachments(mail).map((attachment, index) => {
    const stored = options.media?.[index];
    const mimeType = attachment.contentType.toLowerCase();
    const filename = attachment.filename?.trim();
    return {
      kind: mediaKindOf(mimeType),
      mediaId: stored?.mediaId ?? `${externalId}#${attachment.partId ?? String(index + 1)}`,
      ...(stored?.url ? { url: stored.url } : {}),
      mimeType,
      ...(filename ? { filename } : {}),
      size: attachment.size ?? attachment.content.length,
    };
  });

  const subject = mail.subject?.trim();
  // a message with a subject and nothing else still says something
  const text = newText.length === 0 && attachments.length === 0 && subject ? subject : newText;

  const automated = detectAutomatedMail(headers, from);
  const authentication = readAuthenticationResults(headers, options.trustedAuthServIds);
  const cc = canonicalList(addressesOf(mail.cc));
  const replyTo = canonicalList(addressesOf(mail.replyTo));

  const channelData: ChannelData = {
    ...(subject !== undefined ? { subject } : {}),
    messageId: externalId,
    ...(inReplyTo ? { inReplyTo } : {}),
    references,
    text: fullText,
    ...(mail.html ? { html: mail.html } : {}),
    to: toList,
    cc,
    ...(replyTo.length > 0 ? { replyTo } : {}),
    authentication: authentication ?? {
      spf: null,
      dkim: null,
      dmarc: null,
      authservId: null,
      trusted: false,
      verified: false,
    },
    ...(automated ? { automatedReason: automated } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };

  const message: InboundMessage = {
    externalId,
    from: { channel: 'email', address: from },
    ...(to ? { to: { channel: 'email', address: to } } : {}),
    content: {
      type: 'text',
      text,
      ...(attachments.length > 0 ? { attachments } : {}),
    },
    createdAt,
    ...(inReplyTo ? { replyToExternalId: inReplyTo } : {}),
    ...(references.length > 0 ? { references } : {}),
    ...(senderName ? { senderName } : {}),
    ...(automated ? { automated: true } : {}),
    channelData,
  };
  return [{ type: 'message', message }];
}
