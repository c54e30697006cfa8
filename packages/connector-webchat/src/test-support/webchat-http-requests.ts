import { readFileSync } from 'node:fs';
import type { InboundRequest } from '@threadline/connector-kit';
import { webchatHttpSignature } from '../webchat-connector.js';
import { resumeTokenFor } from '../webchat-visitor-token.js';

/** The visitor the recorded HTTP fallback frames belong to. */
export const fixtureVisitorId = 'wv_5f0c2a9e41d7b3c86a1e9d02';

/** A recorded HTTP fallback body from `src/__fixtures__`, as the widget serializes it. */
export function fixtureBody(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../__fixtures__/${name}`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}

/**
 * Builds signed HTTP fallback requests for one connector's session secret: the visitor id in
 * `x-webchat-visitor`, the body signed with the visitor's resume token.
 */
export function httpRequests(sessionSecret: string, connectorId = 'webchat') {
  const sign = (request: InboundRequest, visitorId = fixtureVisitorId): InboundRequest => ({
    ...request,
    headers: {
      ...request.headers,
      'x-webchat-visitor': request.headers['x-webchat-visitor'] ?? visitorId,
      'x-webchat-signature': webchatHttpSignature(
        resumeTokenFor(sessionSecret, request.headers['x-webchat-visitor'] ?? visitorId),
        request.body,
      ),
    },
  });
  const unsigned = (body: unknown, visitorId = fixtureVisitorId): InboundRequest => ({
    method: 'POST',
    url: `https://gateway.test/webhooks/webchat/${connectorId}`,
    headers: { 'content-type': 'application/json', 'x-webchat-visitor': visitorId },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    sign,
    unsigned,
    signed: (body: unknown, visitorId = fixtureVisitorId) => sign(unsigned(body, visitorId)),
  };
}
