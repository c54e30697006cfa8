export * from './control-transitions.js';
export * from './delivery.js';
export * from './integrations.js';
export * from './switchboard.js';
