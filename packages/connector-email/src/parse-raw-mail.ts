import { ConnectorError } from '@threadline/connector-kit';
import { type ParsedMail, simpleParser } from 'mailparser';

/**
 * Parses a raw RFC 5322 message with mailparser: charsets decoded (UTF-8, GB2312/GBK,
 * ISO-8859-x, ...), encoded words and RFC 2231 filenames decoded, delivery-status parts
 * kept as parts so reports can be read. Throws `payload_invalid` when it cannot be read.
 */
export async function parseRawMail(raw: Uint8Array): Promise<ParsedMail> {
  if (raw.byteLength === 0 || Buffer.from(raw).toString('latin1').trim().length === 0) {
    throw ConnectorError.payloadInvalid('(body)', 'the message is empty');
  }
  try {
    return await simpleParser(Buffer.from(raw), {
      keepDeliveryStatus: true,
      keepCidLinks: true,
      skipImageLinks: true,
      skipTextLinks: true,
      skipTextToHtml: true,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw ConnectorError.payloadInvalid('(body)', `unreadable MIME: ${reason}`, error);
  }
}

/** How a raw message is stored beside the events: UTF-8 text when it is, else base64. */
export interface RawMailRecord {
  contentType: string;
  body: string;
}

/** The content type of a raw message stored as base64 (it was not valid UTF-8). */
export const base64MailContentType = 'message/rfc822; transfer-encoding=base64';

/**
 * The raw message as a string that loses nothing: most mail is 7-bit or UTF-8 and is kept
 * as it is; a message with other 8-bit bytes (a GB2312 body sent as 8bit) is kept as base64
 * under {@link base64MailContentType}, which `parse` reads back.
 */
export function rawMailRecord(raw: Uint8Array): RawMailRecord {
  try {
    const body = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
    return { contentType: 'message/rfc822', body };
  } catch {
    return { contentType: base64MailContentType, body: Buffer.from(raw).toString('base64') };
  }
}

/** The bytes of a stored or posted raw message, the inverse of {@link rawMailRecord}. */
export function rawMailBytes(body: string, contentType: string | undefined): Buffer {
  return /transfer-encoding\s*=\s*"?base64"?/i.test(contentType ?? '')
    ? Buffer.from(body, 'base64')
    : Buffer.from(body, 'utf8');
}
