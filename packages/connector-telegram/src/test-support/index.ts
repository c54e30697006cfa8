export * from './fake-telegram-api.js';
export * from './fixtures.js';
