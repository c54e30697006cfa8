import { describe, expect, it } from 'vitest';
import { renderPairingQrPng } from './render-pairing-qr.js';
import { WhatsAppCloudConnector } from './whatsapp-cloud-connector.js';
import {
  whatsAppCloudConnectorFromEnv,
  whatsAppConnectorsFromEnv,
  whatsAppWebConnectorFromEnv,
} from './whatsapp-connectors-from-env.js';
import { WhatsAppWebConnector } from './whatsapp-web-connector.js';

const cloudEnv = {
  WHATSAPP_ACCESS_TOKEN: 'EAAG-token',
  WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
  WHATSAPP_APP_SECRET: 'app-secret',
  WHATSAPP_VERIFY_TOKEN: 'verify',
};
const context = (env: Record<string, string>) => ({
  env,
  publicUrl: 'https://gateway.example.com',
  dataDirectory: '/var/lib/threadline',
});

describe('whatsAppConnectorsFromEnv', () => {
  it('builds nothing when WhatsApp is not configured', () => {
    expect(whatsAppConnectorsFromEnv(context({}))).toEqual([]);
    expect(whatsAppCloudConnectorFromEnv(context({}))).toBeUndefined();
    expect(whatsAppWebConnectorFromEnv(context({ WHATSAPP_WEB_ENABLED: '0' }))).toBeUndefined();
  });

  it('builds the Cloud API connector when WHATSAPP_ACCESS_TOKEN is set', () => {
    const connectors = whatsAppConnectorsFromEnv(context(cloudEnv));
    expect(connectors).toHaveLength(1);
    expect(connectors[0]).toBeInstanceOf(WhatsAppCloudConnector);
    expect(connectors[0]!.id).toBe('whatsapp');
  });

  it('names the missing variable when the Cloud API is half configured', () => {
    expect(() =>
      whatsAppConnectorsFromEnv(context({ WHATSAPP_ACCESS_TOKEN: 'EAAG-token' })),
    ).toThrow(expect.objectContaining({ code: 'configuration_invalid' }));
  });

  it('builds the linked-device connector when WHATSAPP_WEB_ENABLED=1, without starting a browser', () => {
    const connectors = whatsAppConnectorsFromEnv(
      context({ ...cloudEnv, WHATSAPP_WEB_ENABLED: '1', WHATSAPP_WEB_SESSION: 'support' }),
    );
    expect(connectors.map((connector) => connector.id)).toEqual(['whatsapp', 'whatsapp-web']);
    const web = connectors[1] as WhatsAppWebConnector;
    expect(web).toBeInstanceOf(WhatsAppWebConnector);
    expect(web.session).toBe('support');
    expect(web.status()).toEqual({ state: 'starting' });
    expect(web.pairingCode()).toBeNull();
  });

  it('refuses a session name LocalAuth cannot store', () => {
    expect(() =>
      whatsAppWebConnectorFromEnv(
        context({ WHATSAPP_WEB_ENABLED: '1', WHATSAPP_WEB_SESSION: '../x' }),
      ),
    ).toThrow(expect.objectContaining({ code: 'configuration_invalid' }));
  });
});

describe('renderPairingQrPng', () => {
  it('renders the pairing code as a PNG image', async () => {
    const png = await renderPairingQrPng('2@k8Jq3pZ0eXampleQrPayload');
    expect(Array.from(png.slice(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});
