import type { ConnectorEnvironmentContext, ConnectorV1 } from '@threadline/connector-kit';
import { smsConnectorFromEnv } from '@threadline/connector-sms';

type Factory = (context: ConnectorEnvironmentContext) => ConnectorV1 | ConnectorV1[] | undefined;

/** Every connector package's environment factory; each returns nothing when its channel is not configured. */
const factories: Factory[] = [smsConnectorFromEnv];

/** The connectors the environment configures, in a stable order. */
export function connectorsFromEnv(context: ConnectorEnvironmentContext): ConnectorV1[] {
  return factories.flatMap((factory) => {
    const built = factory(context);
    if (!built) return [];
    return Array.isArray(built) ? built : [built];
  });
}
