import type { Store } from '../ports.js';

/** What the split hunt (split-stress.ts) is told, and what it reports. */
export interface SplitStressOptions {
  /** Each instance's store: one store per instance, or one shared by both (embedded). */
  stores: [Store, Store];
  customers?: number;
  /** Inbound messages per customer after the first ones. */
  turns?: number;
  seed?: number;
  /** Time between samples of "open conversations per contact". */
  sampleEveryMs?: number;
  /** The kinds of customer, in turn (default: all three). */
  kinds?: SplitStressKind[];
}

export type SplitStressKind = 'racing' | 'link-after-resolve' | 'mixed';

export interface SplitStressReport {
  customers: number;
  inbound: number;
  replies: number;
  links: number;
  resolves: number;
  samples: number;
  /** Ingests that failed (a customer's message lost). */
  failedIngests: string[];
  /** App calls that failed (informational: an app racing itself may be refused). */
  refusedAppCalls: string[];
  /** Samples that saw a contact with more than one open conversation. */
  twoOpen: string[];
  /** Customers whose addresses belong to more than one contact after the link. */
  contactSplits: string[];
  /** Customers whose messages are in more than one conversation. */
  conversationSplits: string[];
}
