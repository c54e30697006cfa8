export * from './analytics-suite.js';
export * from './engine-suite.js';
export * from './notification-store-suite.js';
export * from './notifications-suite.js';
export * from './queue-suite.js';
export * from './split-stress.js';
export * from './store-suite.js';
export * from './switchboard-suite.js';
