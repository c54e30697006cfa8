import type { CheckResult, ConformanceCheck, ConformanceOptions } from './conformance-options.js';
import { declaresTheContract } from './contract-checks.js';
import { mapsProviderFailures, throwsOnlyStableCodes } from './error-mapping-checks.js';
import {
  normalizesSenderAddresses,
  parsesRecordedPayloads,
  parsesRedeliveriesToTheSameIds,
} from './inbound-parsing-checks.js';
import {
  neverThrowsUntypedOnMutatedPayloads,
  rejectsBadSignatures,
  rejectsMalformedPayloads,
} from './inbound-rejection-checks.js';
import {
  refusesUndeclaredContent,
  roundTripsIds,
  sendsDeclaredContent,
  sendsTextWithTheProviderId,
} from './sending-checks.js';
import { mapsEveryProviderStatus } from './status-mapping-checks.js';

export type {
  CheckResult,
  ConformanceCheck,
  ConformanceFixtures,
  ConformanceOptions,
  InboundCase,
  ProviderFailure,
  ProviderFake,
  RecordedSend,
  StatusCase,
} from './conformance-options.js';

/** The contract checks, in the order they run. Each runs on a fresh connector. */
export const conformanceChecks: ConformanceCheck[] = [
  declaresTheContract,
  parsesRecordedPayloads,
  normalizesSenderAddresses,
  parsesRedeliveriesToTheSameIds,
  rejectsBadSignatures,
  rejectsMalformedPayloads,
  neverThrowsUntypedOnMutatedPayloads,
  sendsTextWithTheProviderId,
  roundTripsIds,
  mapsEveryProviderStatus,
  sendsDeclaredContent,
  refusesUndeclaredContent,
  mapsProviderFailures,
  throwsOnlyStableCodes,
];

/** Run every check and report each outcome (used by the suite's own tests and by tools). */
export async function runConformance(options: ConformanceOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of conformanceChecks) {
    try {
      await check.run(options);
      results.push({ name: check.name, ok: true });
    } catch (error) {
      results.push({
        name: check.name,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return results;
}
