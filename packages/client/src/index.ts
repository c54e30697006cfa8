export * from './analytics-types.js';
export * from './api-types.js';
export type {
  EventStream,
  EventStreamOptions,
  ReconnectSettings,
  WebSocketConstructor,
  WebSocketLike,
} from './event-stream.js';
export { parseRetryAfter, type RetrySettings } from './http-transport.js';
export * from './notification-methods.js';
export {
  createThreadlineClient,
  type ThreadlineClient,
  type ThreadlineClientSettings,
} from './threadline-client.js';
export * from './threadline-client-error.js';
export { verifyWebhook, verifyWebhookBatch, type WebhookHeaders } from './verify-webhook.js';
