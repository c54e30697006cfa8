import { ConnectorError, errorCodes } from '../errors.js';
import { assert, rejection } from './conformance-assertions.js';
import { outbound } from './conformance-messages.js';
import type { ConformanceCheck, ProviderFailure } from './conformance-options.js';

const knownCodes = new Set(Object.keys(errorCodes));

/** Provider failures become retryable or permanent errors, with retryAfterMs. */
export const mapsProviderFailures: ConformanceCheck = {
  name: 'maps provider failures to retryable and permanent errors with retryAfterMs',
  async run({ connector, fixtures }) {
    const instance = await connector();
    const cases: Array<[ProviderFailure, boolean]> = [
      [{ kind: 'rate_limited', retryAfterMs: 3000 }, true],
      [{ kind: 'unavailable' }, true],
      [{ kind: 'rejected' }, false],
    ];
    for (const [failure, retryable] of cases) {
      await fixtures.provider.reset();
      fixtures.provider.failNext(failure);
      const error = await rejection(
        instance.send(outbound(fixtures.recipient, { type: 'text', text: `fail ${failure.kind}` })),
      );
      assert(
        ConnectorError.isConnectorError(error),
        `${failure.kind}: threw untyped ${String(error)}`,
      );
      assert(
        error.retryable === retryable,
        `${failure.kind}: retryable=${error.retryable}, expected ${retryable}`,
      );
      if (failure.kind === 'rate_limited') {
        assert(
          error.retryAfterMs !== undefined &&
            Math.abs(error.retryAfterMs - failure.retryAfterMs) <= 1000,
          `rate_limited: retryAfterMs=${error.retryAfterMs}, expected ≈${failure.retryAfterMs}`,
        );
      }
    }
  },
};

/** Every error the connector throws carries a stable Threadline code. */
export const throwsOnlyStableCodes: ConformanceCheck = {
  name: 'only throws errors with a stable Threadline code',
  async run({ connector, fixtures }) {
    const instance = await connector();
    const errors: unknown[] = [];
    for (const request of fixtures.malformed) errors.push(await rejection(instance.parse(request)));
    await fixtures.provider.reset();
    fixtures.provider.failNext({ kind: 'rejected' });
    errors.push(
      await rejection(
        instance.send(outbound(fixtures.recipient, { type: 'text', text: 'rejected' })),
      ),
    );
    for (const error of errors) {
      assert(ConnectorError.isConnectorError(error), `untyped error ${String(error)}`);
      assert(knownCodes.has(error.code), `unknown error code ${error.code}`);
    }
  },
};
