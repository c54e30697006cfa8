export * from './channel.js';
export * from './contact.js';
export * from './content.js';
export * from './conversation.js';
export * from './event.js';
export * from './json-schema.js';
export * from './message.js';
export * from './validate.js';
