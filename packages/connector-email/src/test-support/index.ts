export * from './dovecot.js';
export * from './fixtures.js';
export * from './media-server.js';
export * from './smtp-sink.js';
export * from './test-runtime.js';
