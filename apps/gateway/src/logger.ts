import pino from 'pino';
import type { GatewayConfig } from './config.js';

/**
 * Structured logs. Secrets and message bodies never appear at info level: auth headers,
 * signatures, tokens and message content are redacted.
 */
export function createLogger(
  config: Pick<GatewayConfig, 'logLevel'>,
  destination?: pino.DestinationStream,
) {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'threadline-gateway' },
      redact: {
        paths: [
          'authorization',
          'headers.authorization',
          'headers["x-twilio-signature"]',
          'headers["x-hub-signature-256"]',
          'headers["x-telegram-bot-api-secret-token"]',
          'apiKey',
          'token',
          'secret',
          'content',
          'text',
          'body',
          '*.content',
          '*.text',
          '*.body',
          '*.secret',
          '*.token',
        ],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
export type Logger = ReturnType<typeof createLogger>;
