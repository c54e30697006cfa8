import { performance } from 'node:perf_hooks';
import type { PlannedMessage, TrafficPlan } from './plan-traffic.js';
import type { SimulatedChannel } from './scenario-schema.js';

/** One try of a provider to hand a webhook (or an email) to the gateway. */
export interface DeliveryAttempt {
  startedAt: number;
  endedAt: number;
  /** The HTTP status (or SMTP code), `connection_failed` or `timeout`. */
  outcome: string;
  ok: boolean;
}

export interface CustomerMessageRecord {
  message: PlannedMessage;
  /** The provider's id of the message (MessageSid, wamid, chat:message id, Message-ID). */
  externalId: string;
  attempts: DeliveryAttempt[];
  /** The first attempt the gateway acknowledged: from then on it must never be lost. */
  acknowledged: DeliveryAttempt | undefined;
  /** Further deliveries of an acknowledged message (the provider redelivering on purpose). */
  extraDeliveries: DeliveryAttempt[];
  /** The provider gave up without an acknowledgement (its retry pattern ran out). */
  abandoned: boolean;
  /** Each time the answering app received it as `message.received`. */
  seenByApp: Array<{ at: number; messageId: string; conversationId: string; contactId: string }>;
}

export interface ReplyRecord {
  /** The customer message answered. */
  inReplyTo: string;
  journeyId: string;
  personaId: string;
  /** When the app called `POST /v1/messages`, and when the call returned. */
  requestedAt: number;
  answeredAt: number | undefined;
  messageId: string | undefined;
  /** The API error that made the app give up, if it did. */
  error: { code: string; message: string } | undefined;
}

export type ProviderSendOutcome =
  | 'accepted'
  | 'server_error'
  | 'rate_limited'
  | 'timeout'
  | 'window_closed'
  | 'rejected';

/** One send the gateway made to a fake provider. */
export interface ProviderSendRecord {
  channel: SimulatedChannel;
  provider: string;
  receivedAt: number;
  outcome: ProviderSendOutcome;
  externalId: string | undefined;
  /** The recipient as the provider saw it (canonical: E.164, email, Telegram id). */
  to: string;
  text: string;
  /** The customer message the text refers to (`re j00012.3`), when it names one. */
  ref: string | undefined;
}

const refPattern = /\bre (j\d+\.\d+)\b/;
/** The customer message an answer names, e.g. `(re j00012.3)`. */
export function replyRef(text: string): string | undefined {
  return refPattern.exec(text)?.[1];
}

const customerRefPattern = /\bref (j\d+\.\d+)\b/;
/** The planned message a customer text carries, e.g. `(ref j00012.3)`. */
export function customerRef(text: string): string | undefined {
  return customerRefPattern.exec(text)?.[1];
}

/**
 * Everything the simulator observes, with times in milliseconds since the run started:
 * what the fake providers delivered and were sent, what the answering app saw and did.
 */
export class TrafficLedger {
  readonly startedAt = performance.now();
  /** The wall clock at the start, for the timestamps providers put on messages. */
  readonly wallStart = Date.now();
  readonly customer = new Map<string, CustomerMessageRecord>();
  readonly customerByExternalId = new Map<string, CustomerMessageRecord>();
  readonly replies = new Map<string, ReplyRecord>();
  readonly replyByMessageId = new Map<string, ReplyRecord>();
  readonly providerSends: ProviderSendRecord[] = [];
  readonly providerSendByExternalId = new Map<string, ProviderSendRecord>();
  /** Failures by code (`ingress_503`, `app_validation_failed`, ...). */
  readonly errors = new Map<string, number>();
  /** Faults injected on purpose, by kind. */
  readonly faults = new Map<string, number>();
  readonly statusCallbacks = { sent: 0, failed: 0 };
  readonly events = new Map<string, number>();
  gatewayRestarts: Array<{ at: number; downForMs: number }> = [];
  /** Conversations the answering app resolved, and when the gateway had done it. */
  readonly resolutions: Array<{ conversationId: string; at: number }> = [];
  drainedAt: number | undefined;

  constructor(readonly plan: TrafficPlan) {}

  now(): number {
    return performance.now() - this.startedAt;
  }

  count(map: 'errors' | 'faults' | 'events', key: string, by = 1): void {
    const target = this[map];
    target.set(key, (target.get(key) ?? 0) + by);
  }

  customerMessage(message: PlannedMessage, externalId: string): CustomerMessageRecord {
    let record = this.customer.get(message.id);
    if (!record) {
      record = {
        message,
        externalId,
        attempts: [],
        acknowledged: undefined,
        extraDeliveries: [],
        abandoned: false,
        seenByApp: [],
      };
      this.customer.set(message.id, record);
      this.customerByExternalId.set(`${message.channel}:${externalId}`, record);
    }
    return record;
  }

  recordProviderSend(record: ProviderSendRecord): void {
    this.providerSends.push(record);
    if (record.externalId)
      this.providerSendByExternalId.set(`${record.channel}:${record.externalId}`, record);
  }

  providerSend(
    channel: string,
    externalId: string | null | undefined,
  ): ProviderSendRecord | undefined {
    return externalId ? this.providerSendByExternalId.get(`${channel}:${externalId}`) : undefined;
  }

  /** Customer messages handed to the gateway and acknowledged so far. */
  acknowledgedCount(): number {
    let count = 0;
    for (const record of this.customer.values()) if (record.acknowledged) count += 1;
    return count;
  }
}
