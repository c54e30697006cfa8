import { channelSchema } from '@threadline/schema';
import { capabilitiesSchema } from '../capabilities.js';
import { assert } from './conformance-assertions.js';
import type { ConformanceCheck } from './conformance-options.js';

/** The connector says which contract, id, channel and capabilities it has. */
export const declaresTheContract: ConformanceCheck = {
  name: 'declares the v1 contract, an id, a channel and valid capabilities',
  async run({ connector }) {
    const instance = await connector();
    assert(
      instance.specificationVersion === 'v1',
      `specificationVersion is ${String(instance.specificationVersion)}, expected v1`,
    );
    assert(
      /^[a-z0-9][a-z0-9_-]{0,63}$/.test(instance.id),
      `id "${instance.id}" must be a lower-case slug`,
    );
    assert(
      channelSchema.safeParse(instance.channel).success,
      `channel "${instance.channel}" is not a channel name`,
    );
    const capabilities = capabilitiesSchema.safeParse(instance.capabilities);
    assert(capabilities.success, `capabilities are invalid: ${capabilities.error?.message}`);
  },
};
