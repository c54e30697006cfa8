export * from './twilio-fake.js';
export * from './twilio-fixtures.js';
