export * from './analytics-api.js';
export * from './analytics-types.js';
export * from './fold-event.js';
export * from './fold-events.js';
export * from './histogram.js';
export * from './metrics.js';
export * from './rebuild.js';
export * from './summary.js';
