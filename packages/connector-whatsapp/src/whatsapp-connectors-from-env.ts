import type { Connector, ConnectorEnvironmentContext } from '@threadline/connector-kit';
import { WhatsAppCloudConnector } from './whatsapp-cloud-connector.js';
import { WhatsAppWebConnector } from './whatsapp-web-connector.js';

const enabled = (value: string | undefined) =>
  value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());

/**
 * The Cloud API connector when `WHATSAPP_ACCESS_TOKEN` is set (the other `WHATSAPP_*`
 * variables are then required), else undefined.
 */
export function whatsAppCloudConnectorFromEnv(
  context: ConnectorEnvironmentContext,
): WhatsAppCloudConnector | undefined {
  if (!context.env.WHATSAPP_ACCESS_TOKEN) return undefined;
  return new WhatsAppCloudConnector({ env: context.env });
}

/**
 * The linked-device connector when `WHATSAPP_WEB_ENABLED=1`, else undefined. Its browser
 * starts with the gateway, not here.
 */
export function whatsAppWebConnectorFromEnv(
  context: ConnectorEnvironmentContext,
): WhatsAppWebConnector | undefined {
  if (!enabled(context.env.WHATSAPP_WEB_ENABLED)) return undefined;
  return new WhatsAppWebConnector({ env: context.env, dataDirectory: context.dataDirectory });
}

/** Every WhatsApp connector the environment configures: Cloud API first, then the session. */
export function whatsAppConnectorsFromEnv(context: ConnectorEnvironmentContext): Connector[] {
  return [whatsAppCloudConnectorFromEnv(context), whatsAppWebConnectorFromEnv(context)].filter(
    (connector): connector is WhatsAppCloudConnector | WhatsAppWebConnector =>
      connector !== undefined,
  );
}
