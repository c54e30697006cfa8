import {
  ConnectorError,
  type Environment,
  httpFetch,
  loadSetting,
} from '@threadline/connector-kit';
import type { WhatsAppWebClient } from './whatsapp-web-client.js';
import { createWhatsAppWebLibraryClient } from './whatsapp-web-library-client.js';

export interface WhatsAppWebConnectorSettings {
  /** Connector id. Default `whatsapp-web`. */
  id?: string;
  /** A whatsapp-web.js `Client` (or a stand-in with the same events), used as it is. */
  client?: WhatsAppWebClient;
  /** Creates the client when the connector starts. Default: a `Client` with `LocalAuth`. */
  clientFactory?: () => WhatsAppWebClient | Promise<WhatsAppWebClient>;
  /** Session name (`WHATSAPP_WEB_SESSION`): letters, digits, `_` and `-`. Default `default`. */
  session?: string;
  /** The gateway's data directory; the session lives in `<dataDirectory>/whatsapp-web`. */
  dataDirectory?: string;
  /** Chromium to drive (`PUPPETEER_EXECUTABLE_PATH`). Default `/usr/bin/chromium`. */
  executablePath?: string;
  /** How long to pause after WhatsApp answers `rate-overlimit`. Default 60 s. */
  rateLimitBackoffMs?: number;
  /**
   * Outbound messages per second. Default 1: WhatsApp bans linked devices that send in
   * bursts, so keep this low.
   */
  perSecond?: number;
  /** Where the pairing QR code is printed; `null` to not print it. Default stdout. */
  terminal?: { write(text: string): unknown } | null;
  /** Downloads outbound media. Default the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  env?: Environment;
}

/** The settings with every default and environment variable applied. */
export interface ResolvedWhatsAppWebConnectorSettings {
  id: string;
  session: string;
  client: WhatsAppWebClient | undefined;
  clientFactory: () => WhatsAppWebClient | Promise<WhatsAppWebClient>;
  rateLimitBackoffMs: number;
  perSecond: number;
  terminal: { write(text: string): unknown } | null;
  fetch: typeof globalThis.fetch;
}

const sessionPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Applies defaults and environment variables; a session name that is not a slug is refused. */
export function resolveWhatsAppWebConnectorSettings(
  settings: WhatsAppWebConnectorSettings,
): ResolvedWhatsAppWebConnectorSettings {
  const session =
    loadSetting({
      value: settings.session,
      environmentVariable: 'WHATSAPP_WEB_SESSION',
      settingName: 'session',
      env: settings.env,
      defaultValue: 'default',
    }) ?? 'default';
  if (!sessionPattern.test(session)) {
    throw new ConnectorError(
      'configuration_invalid',
      `WHATSAPP_WEB_SESSION "${session}" may only hold letters, digits, "_" and "-"`,
    );
  }
  const dataDirectory = settings.dataDirectory ?? './data';
  const executablePath =
    loadSetting({
      value: settings.executablePath,
      environmentVariable: 'PUPPETEER_EXECUTABLE_PATH',
      settingName: 'executablePath',
      env: settings.env,
      defaultValue: '/usr/bin/chromium',
    }) ?? '/usr/bin/chromium';
  return {
    id: settings.id ?? 'whatsapp-web',
    session,
    client: settings.client,
    clientFactory:
      settings.clientFactory ??
      (() => createWhatsAppWebLibraryClient({ session, dataDirectory, executablePath })),
    rateLimitBackoffMs: settings.rateLimitBackoffMs ?? 60_000,
    perSecond: settings.perSecond ?? 1,
    terminal: settings.terminal === undefined ? process.stdout : settings.terminal,
    // keep-alive node:http pools (msw and other node:http interceptors see these calls)
    fetch: settings.fetch ?? httpFetch,
  };
}
