import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// One browser test file at a time: each starts real gateways and a Chromium.
export default mergeConfig(sharedConfig, defineConfig({ test: { fileParallelism: false } }));
