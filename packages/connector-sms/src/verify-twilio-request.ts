import {
  ConnectorError,
  type InboundRequest,
  parseFormBody,
  verifyTwilioSignature,
} from '@threadline/connector-kit';

/**
 * The URL as given, and with the default port added or removed: Twilio signs the URL exactly
 * as configured, and a proxy may report `https://host:443/...` for `https://host/...`.
 */
function urlVariants(url: string): string[] {
  const match = /^(https?):\/\/([^/?#]+)(.*)$/i.exec(url);
  if (!match) return [url];
  const [, scheme = '', authority = '', rest = ''] = match;
  const defaultPort = scheme.toLowerCase() === 'https' ? '443' : '80';
  const port = /:(\d+)$/.exec(authority)?.[1];
  if (port === undefined) return [url, `${scheme}://${authority}:${defaultPort}${rest}`];
  if (port === defaultPort)
    return [url, `${scheme}://${authority.slice(0, -port.length - 1)}${rest}`];
  return [url];
}

/**
 * Checks `X-Twilio-Signature`: HMAC-SHA1 with the auth token over the full URL Twilio called
 * (`request.url`, the public URL with the query) followed by the POST parameters sorted by
 * name, compared in constant time. Returns the form on success; throws `signature_invalid`
 * (nothing may be stored) when the header is missing or does not match.
 */
export function verifyTwilioRequest(
  authToken: string,
  request: InboundRequest,
): ReturnType<typeof parseFormBody> {
  const signature = request.headers['x-twilio-signature'];
  if (!signature) throw ConnectorError.signatureInvalid('X-Twilio-Signature header missing');
  const form = parseFormBody(request.body);
  for (const url of urlVariants(request.url)) {
    if (verifyTwilioSignature(authToken, url, form.pairs, signature)) return form;
  }
  throw ConnectorError.signatureInvalid(
    'X-Twilio-Signature does not match the URL and parameters (is THREADLINE_PUBLIC_URL the URL Twilio calls?)',
  );
}
