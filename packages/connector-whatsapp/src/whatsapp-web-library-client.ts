import { join } from 'node:path';
import type { WhatsAppWebClient } from './whatsapp-web-client.js';

type Library = typeof import('whatsapp-web.js');
let libraryPromise: Promise<Library> | undefined;
/** whatsapp-web.js (and puppeteer) load only when a session is used. */
export function loadLibrary(): Promise<Library> {
  libraryPromise ??= import('whatsapp-web.js').then((module) => module.default);
  return libraryPromise;
}

/**
 * A whatsapp-web.js `Client` with its session stored under `<dataDirectory>/whatsapp-web`,
 * driving the system Chromium (never a downloaded browser).
 */
export async function createWhatsAppWebLibraryClient(options: {
  session: string;
  dataDirectory: string;
  executablePath: string;
}): Promise<WhatsAppWebClient> {
  const library = await loadLibrary();
  const client: WhatsAppWebClient = new library.Client({
    authStrategy: new library.LocalAuth({
      dataPath: join(options.dataDirectory, 'whatsapp-web'),
      clientId: options.session,
    }),
    puppeteer: {
      executablePath: options.executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-setuid-sandbox',
        '--disable-dev-shm-usage',
        '--disable-gpu',
        '--no-first-run',
      ],
    },
  });
  return client;
}
