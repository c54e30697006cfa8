export * from './fake-whatsapp-web-client.js';
export * from './read-fixture.js';
export * from './recording-runtime.js';
export * from './whatsapp-cloud-api-fake.js';
