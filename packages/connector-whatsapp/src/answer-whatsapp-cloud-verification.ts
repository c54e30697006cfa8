import { ConnectorError, type ParseResult, safeEqual } from '@threadline/connector-kit';

/**
 * Meta's webhook verification: `GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`
 * is answered with the challenge, as plain text, when the token is ours. A missing or wrong
 * token is refused with `signature_invalid` and status 403, as Meta's documentation specifies.
 */
export function answerWhatsAppCloudVerification(url: string, verifyToken: string): ParseResult {
  let query: URLSearchParams;
  try {
    query = new URL(url).searchParams;
  } catch (error) {
    throw ConnectorError.payloadInvalid('(url)', 'not an absolute URL', error);
  }
  const token = query.get('hub.verify_token');
  if (!token) throw tokenRefused('hub.verify_token is missing');
  if (!safeEqual(verifyToken, token)) {
    throw tokenRefused('hub.verify_token does not match WHATSAPP_VERIFY_TOKEN');
  }
  if (query.get('hub.mode') !== 'subscribe') {
    throw ConnectorError.payloadInvalid('hub.mode', 'expected "subscribe"');
  }
  const challenge = query.get('hub.challenge');
  if (!challenge) throw ConnectorError.payloadInvalid('hub.challenge', 'missing');
  return {
    events: [],
    response: { status: 200, headers: { 'content-type': 'text/plain' }, body: challenge },
  };
}

function tokenRefused(reason: string): ConnectorError {
  return ConnectorError.signatureInvalid(reason, { statusCode: 403 });
}
