import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// One test file at a time: several files start real gateways, PostgreSQL-backed instances,
// a browser or a simulator run and kill processes on purpose; side by side on a small machine
// they starve each other and the latency SLOs they assert measure the contention instead.
export default mergeConfig(sharedConfig, defineConfig({ test: { fileParallelism: false } }));
