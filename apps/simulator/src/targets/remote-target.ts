import { connectionSlots, type GatewayTarget } from './gateway-target.js';

export interface RemoteOptions {
  /** The gateway's public URL (what providers would call: webhooks are signed for it). */
  url: string;
  apiKey: string;
  /** Its inbound SMTP server, when email is simulated (`host:port`). */
  smtp?: { host: string; port: number };
}

/**
 * A gateway someone else runs. It must be configured with the environment the simulator
 * prints (the fake providers' URLs and secrets); restarts are not the simulator's to make.
 */
export function remoteGateway(options: RemoteOptions): GatewayTarget {
  const baseUrl = options.url.replace(/\/+$/, '');
  return {
    kind: 'remote',
    baseUrl,
    apiKey: options.apiKey,
    fetch: (input, init) => globalThis.fetch(input, init),
    link: {
      publicUrl: baseUrl,
      fetch: (url, init) => globalThis.fetch(url, init),
      slot: connectionSlots(256),
      socketUrl: () => baseUrl,
      smtp: () => options.smtp,
    },
    async close() {},
  };
}
