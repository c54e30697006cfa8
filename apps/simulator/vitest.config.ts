import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// The end-to-end runs measure latency: one file at a time, so they do not crowd each other.
export default mergeConfig(
  sharedConfig,
  defineConfig({ test: { fileParallelism: false, testTimeout: 90_000, hookTimeout: 60_000 } }),
);
