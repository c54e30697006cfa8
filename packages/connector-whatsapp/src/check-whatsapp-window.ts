import { ConnectorError, type RouteCheck } from '@threadline/connector-kit';

/** WhatsApp's customer-service window: free-form messages only within 24 h of the customer's last message. */
export const customerServiceWindowMs = 24 * 60 * 60 * 1000;

/**
 * The 24-hour customer-service window of the WhatsApp Business Platform. A template may
 * always be sent; anything else only while the customer's last inbound WhatsApp message is
 * less than 24 hours old. Returns a `route_refused` error (not retryable) otherwise, so the
 * engine can fall back to another channel or send a template instead.
 */
export function checkWhatsAppWindow(
  check: Pick<RouteCheck, 'content' | 'lastInboundAt' | 'now'>,
): ConnectorError | undefined {
  if (check.content.type === 'template') return undefined;
  const { lastInboundAt, now } = check;
  if (lastInboundAt && now.getTime() - lastInboundAt.getTime() < customerServiceWindowMs) {
    return undefined;
  }
  const message = lastInboundAt
    ? `outside the WhatsApp 24-hour customer-service window (the customer last wrote at ${lastInboundAt.toISOString()}): only a template may be sent`
    : 'the customer has never written on this WhatsApp number: only a template may be sent';
  return new ConnectorError('route_refused', message, {
    retryable: false,
    details: {
      rule: 'whatsapp_customer_service_window',
      lastInboundAt: lastInboundAt?.toISOString() ?? null,
      windowClosedAt: lastInboundAt
        ? new Date(lastInboundAt.getTime() + customerServiceWindowMs).toISOString()
        : null,
    },
  });
}
