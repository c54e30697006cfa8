export * from './channel-choice.js';
export * from './notification-rules.js';
export * from './notification-store.js';
export * from './notifications.js';
export * from './preferences.js';
export * from './quiet-hours.js';
