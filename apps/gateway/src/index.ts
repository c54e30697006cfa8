export * from './api-keys.js';
export * from './config.js';
export * from './create-app.js';
export * from './http-errors.js';
export { toInboundRequest } from './routes/ingress.js';
export * from './webhook-url-guard.js';
