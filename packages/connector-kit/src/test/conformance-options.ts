import type { Address, Content, MessageStatus } from '@threadline/schema';
import type { ConnectorV1, InboundRequest } from '../connector.js';
import type { ProviderFailure } from '../mock-connector.js';

export type { ProviderFailure };

/** One message the fake provider accepted. */
export interface RecordedSend {
  externalId: string;
}

/** The provider behind a connector's `send`, faked at its boundary (msw, a local server). */
export interface ProviderFake {
  /** Messages the provider accepted since the last reset, oldest first. */
  sent(): RecordedSend[] | Promise<RecordedSend[]>;
  /** Make the next send fail the way this provider does. */
  failNext(failure: ProviderFailure): void;
  reset(): void | Promise<void>;
}

export interface InboundCase {
  name: string;
  /** A recorded provider request, correctly signed. */
  request: InboundRequest;
  /** What the normalized result must contain (checked when given). */
  expect?: { externalId?: string; from?: Address; contentType?: Content['type'] };
}

export interface StatusCase {
  /** The provider's name for the status ("delivered", "undelivered", "read", ...). */
  providerStatus: string;
  expected: MessageStatus;
  /** A signed status callback for the message the provider knows as `externalId`. */
  request(externalId: string): InboundRequest;
}

export interface ConformanceFixtures {
  /** Recorded inbound requests that carry at least one message. */
  inbound: InboundCase[];
  /** Requests with a missing or wrong signature; `{ none: reason }` if the channel has no signatures. */
  badSignature: InboundRequest[] | { none: string };
  /** Re-sign a request after its body changed (used to fuzz past the signature check). */
  sign?: (request: InboundRequest) => InboundRequest;
  /** Correctly signed requests whose payload is malformed. */
  malformed: InboundRequest[];
  /**
   * Every provider status the connector maps, or `{ none: reason }` for a channel whose
   * provider reports no delivery statuses for bot messages (Telegram).
   */
  statuses: StatusCase[] | { none: string };
  /** A signed customer reply to the message the provider knows as `externalId` (id round trip). */
  replyTo?: (externalId: string) => InboundRequest;
  /** Where outbound test messages go. */
  recipient: Address;
  provider: ProviderFake;
  /** Media URL the fake provider accepts, for media sends. */
  mediaUrl?: string;
}

export interface ConformanceOptions {
  /** A fresh connector for each check. */
  connector: () => ConnectorV1 | Promise<ConnectorV1>;
  fixtures: ConformanceFixtures;
  /** Cases for the never-throws-untyped check (default 60), fixed seed. */
  fuzzRuns?: number;
  seed?: number;
}

export interface ConformanceCheck {
  name: string;
  run(options: ConformanceOptions): Promise<void>;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  error?: string;
}
