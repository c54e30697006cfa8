import { emailConnectorFromEnv } from '@threadline/connector-email';
import type { ConnectorEnvironmentContext, ConnectorV1 } from '@threadline/connector-kit';
import { smsConnectorFromEnv } from '@threadline/connector-sms';
import { telegramConnectorFromEnv } from '@threadline/connector-telegram';
import { webchatConnectorFromEnv } from '@threadline/connector-webchat';
import { whatsAppConnectorsFromEnv } from '@threadline/connector-whatsapp';

type Factory = (context: ConnectorEnvironmentContext) => ConnectorV1 | ConnectorV1[] | undefined;

/**
 * Every connector package's environment factory, in routing preference order; each returns
 * nothing when its channel is not configured (the variables are listed in channel-environment.ts).
 */
const factories: Factory[] = [
  whatsAppConnectorsFromEnv,
  smsConnectorFromEnv,
  telegramConnectorFromEnv,
  emailConnectorFromEnv,
  // always on: the gateway serves the widget and the demo page
  webchatConnectorFromEnv,
];

/** The connectors the environment configures, in a stable order. */
export function connectorsFromEnv(context: ConnectorEnvironmentContext): ConnectorV1[] {
  return factories.flatMap((factory) => {
    const built = factory(context);
    if (!built) return [];
    return Array.isArray(built) ? built : [built];
  });
}
