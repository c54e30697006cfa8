export * from './conformance.js';
export * from './create-test-server.js';
export * from './test-connector.js';
