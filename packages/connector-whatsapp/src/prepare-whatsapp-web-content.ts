import { ConnectorError } from '@threadline/connector-kit';
import type { Location, MessageMedia } from 'whatsapp-web.js';
import type { WhatsAppWebOutboundPart } from './convert-to-whatsapp-web-messages.js';
import { describeError } from './describe-error.js';
import type { WhatsAppWebSendOptions } from './whatsapp-web-client.js';
import { loadLibrary } from './whatsapp-web-library-client.js';

/** One outbound part as whatsapp-web.js sends it. */
export interface PreparedWhatsAppWebContent {
  content: string | MessageMedia | Location;
  options: WhatsAppWebSendOptions;
}

/** The whatsapp-web.js content for one part; media is downloaded here. */
export async function prepareWhatsAppWebContent(
  part: WhatsAppWebOutboundPart,
  fetch: typeof globalThis.fetch,
): Promise<PreparedWhatsAppWebContent> {
  switch (part.kind) {
    case 'text':
      return { content: part.text, options: {} };
    case 'vcard':
      return { content: part.vcard, options: {} };
    case 'location': {
      const library = await loadLibrary();
      return {
        content: new library.Location(part.latitude, part.longitude, {
          ...(part.name ? { name: part.name } : {}),
          ...(part.address ? { address: part.address } : {}),
        }),
        options: {},
      };
    }
    case 'media': {
      const library = await loadLibrary();
      const media = await downloadOutboundMedia(part.url, fetch);
      const filename =
        part.filename ??
        (decodeURIComponent(new URL(part.url).pathname.split('/').pop() ?? '') || 'file');
      return {
        content: new library.MessageMedia(
          part.mimeType ?? media.contentType,
          Buffer.from(media.body).toString('base64'),
          filename,
          media.body.byteLength,
        ),
        options: {
          ...(part.caption ? { caption: part.caption } : {}),
          ...(part.mediaKind === 'file' ? { sendMediaAsDocument: true } : {}),
        },
      };
    }
  }
}

/** Media an outbound message links to, downloaded so the session can upload it. */
async function downloadOutboundMedia(
  url: string,
  fetch: typeof globalThis.fetch,
): Promise<{ contentType: string; body: Uint8Array }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    throw new ConnectorError(
      'provider_unavailable',
      `could not download media from ${url}: ${describeError(error)}`,
      { retryable: true, cause: error },
    );
  }
  if (!response.ok) {
    throw new ConnectorError(
      response.status >= 500 ? 'provider_unavailable' : 'provider_rejected',
      `media at ${url} answered HTTP ${response.status}`,
      { statusCode: response.status, retryable: response.status >= 500 },
    );
  }
  return {
    contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    body: new Uint8Array(await response.arrayBuffer()),
  };
}
