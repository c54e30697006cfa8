export * from './redis-test-server.js';
