import type { MessageStatus } from '@threadline/schema';
import { headerValues, readFieldBlock, stripComments } from './mail-headers.js';

/** One recipient of a delivery status notification (RFC 3464). */
export interface DeliveryReportRecipient {
  /** `failed`, `delayed`, `delivered`, `relayed` or `expanded`. */
  action: string;
  /** The enhanced status code (RFC 3463), e.g. `5.1.1`. */
  status?: string;
  /** What the remote server answered, e.g. `550 5.1.1 <ada@example.com>: User unknown`. */
  diagnostic?: string;
  finalRecipient?: string;
}

export interface DeliveryReport {
  /** The ENVID the sender gave at `MAIL FROM` (Threadline sets its Message-ID). */
  originalEnvelopeId?: string;
  reportingMta?: string;
  recipients: DeliveryReportRecipient[];
}

/** Strips the address type of a DSN field: `rfc822; ada@example.com` → `ada@example.com`. */
function typedValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const semicolon = value.indexOf(';');
  const stripped = (semicolon === -1 ? value : value.slice(semicolon + 1)).trim();
  return stripped.length > 0 ? stripped : undefined;
}

/** Reads the body of a `message/delivery-status` part. */
export function readDeliveryStatus(text: string): DeliveryReport {
  const groups = text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t]*\n/)
    .map(readFieldBlock)
    .filter((group) => group.length > 0);
  const all = groups.flat();
  const recipients: DeliveryReportRecipient[] = [];
  for (const group of groups) {
    const action = headerValues(group, 'action')[0];
    if (action === undefined) continue;
    const status = /\d\.\d{1,3}\.\d{1,3}/.exec(headerValues(group, 'status')[0] ?? '')?.[0];
    const diagnostic = typedValue(headerValues(group, 'diagnostic-code')[0]);
    const finalRecipient = typedValue(
      headerValues(group, 'final-recipient')[0] ?? headerValues(group, 'original-recipient')[0],
    );
    recipients.push({
      action: stripComments(action).toLowerCase(),
      ...(status ? { status } : {}),
      ...(diagnostic ? { diagnostic } : {}),
      ...(finalRecipient ? { finalRecipient } : {}),
    });
  }
  const originalEnvelopeId = headerValues(all, 'original-envelope-id')[0]?.trim();
  const reportingMta = typedValue(headerValues(all, 'reporting-mta')[0]);
  return {
    ...(originalEnvelopeId ? { originalEnvelopeId } : {}),
    ...(reportingMta ? { reportingMta } : {}),
    recipients,
  };
}

/** What a delivery report means for our message, or why it changes nothing. */
export type DeliveryOutcome =
  | {
      status: Extract<MessageStatus, 'sent' | 'delivered' | 'failed'>;
      recipient: DeliveryReportRecipient;
    }
  | { status: null; reason: string };

/**
 * Maps a report's recipients to one message status: any `failed` recipient fails the
 * message; `delivered` and `expanded` (delivered to a list) mean delivered; `relayed`
 * (handed on to a system that reports nothing further) means sent; `delayed` changes
 * nothing, the server keeps trying.
 */
export function mapDeliveryReport(report: DeliveryReport): DeliveryOutcome {
  const byAction = (action: string) =>
    report.recipients.find((recipient) => recipient.action === action);
  const failed = byAction('failed');
  if (failed) return { status: 'failed', recipient: failed };
  const delivered = byAction('delivered') ?? byAction('expanded');
  if (delivered) return { status: 'delivered', recipient: delivered };
  const relayed = byAction('relayed');
  if (relayed) return { status: 'sent', recipient: relayed };
  const delayed = byAction('delayed');
  if (delayed) {
    return {
      status: null,
      reason: `delivery delayed${delayed.status ? ` (${delayed.status})` : ''}: the server keeps trying`,
    };
  }
  return { status: null, reason: 'the delivery report names no recipient action' };
}

/** A message disposition notification (RFC 8098): the recipient's client reporting a read. */
export interface DispositionNotification {
  originalMessageId?: string;
  /** `displayed`, `deleted`, `dispatched`, `processed`. */
  disposition?: string;
}

export function readDispositionNotification(text: string): DispositionNotification {
  const fields = readFieldBlock(text);
  const originalMessageId = headerValues(fields, 'original-message-id')[0]?.trim();
  const disposition = headerValues(fields, 'disposition')[0];
  const type = disposition ? /;\s*([a-z-]+)/i.exec(stripComments(disposition))?.[1] : undefined;
  return {
    ...(originalMessageId ? { originalMessageId } : {}),
    ...(type ? { disposition: type.toLowerCase() } : {}),
  };
}
