import { describe, it } from 'vitest';
import { type ConformanceOptions, conformanceChecks } from './conformance.js';

/**
 * Registers the conformance suite with Vitest: one test per contract check.
 *
 * ```ts
 * testConnector({ connector: () => createSmsConnector(settings), fixtures });
 * ```
 */
export function testConnector(options: ConformanceOptions & { name?: string }): void {
  describe(`connector conformance${options.name ? `: ${options.name}` : ''}`, () => {
    for (const check of conformanceChecks) {
      it(check.name, () => check.run(options));
    }
  });
}
