import type { MessageStatus } from '@threadline/schema';
import { assert } from './conformance-assertions.js';
import type { ConformanceCheck } from './conformance-options.js';

/** Every provider status maps to the Threadline status expected. */
export const mapsEveryProviderStatus: ConformanceCheck = {
  name: 'maps every provider status to a Threadline status',
  async run({ connector, fixtures }) {
    if (!Array.isArray(fixtures.statuses)) {
      assert(
        fixtures.statuses.none.length > 10,
        'a connector without status callbacks must say why',
      );
      return;
    }
    const instance = await connector();
    const mapped = new Set<MessageStatus>();
    for (const statusCase of fixtures.statuses) {
      const events = (await instance.parse(statusCase.request('conformance-external-id'))).events;
      const status = events.find((event) => event.type === 'status');
      assert(status?.type === 'status', `${statusCase.providerStatus}: no status event`);
      assert(
        status.status === statusCase.expected,
        `${statusCase.providerStatus} mapped to ${status.status}, expected ${statusCase.expected}`,
      );
      if (status.status === 'failed')
        assert(status.error !== undefined, `${statusCase.providerStatus}: failed without an error`);
      mapped.add(status.status);
    }
    for (const required of ['delivered', 'failed'] as const) {
      assert(
        mapped.has(required) || !fixtures.statuses.length,
        `no provider status maps to ${required}`,
      );
    }
  },
};
