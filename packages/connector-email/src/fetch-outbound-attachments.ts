import type { Attachment } from '@threadline/schema';

/** A file to attach to an outbound email. */
export interface OutboundFile {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** Media sent as a link in the text instead: too large, not reachable, or without a URL. */
export interface OutboundLink {
  label: string;
  url?: string;
  /** Why it is a link and not an attachment. */
  reason: string;
}

export interface ResolvedAttachments {
  files: OutboundFile[];
  links: OutboundLink[];
}

export interface ResolveAttachmentsOptions {
  fetch?: typeof globalThis.fetch;
  /** Largest total size of the files attached to one email; the rest become links. */
  maxBytes: number;
  timeoutMs: number;
}

function filenameFor(media: Attachment, index: number): string {
  if (media.filename) return media.filename;
  if (media.url) {
    try {
      const last = new URL(media.url).pathname.split('/').filter(Boolean).pop();
      if (last) return decodeURIComponent(last);
    } catch {
      // fall through to a generic name
    }
  }
  return `${media.kind}-${index + 1}`;
}

async function readLimited(response: Response, limit: number): Promise<Buffer | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Fetches outbound media so it can be attached. Media that is too large for what is left of
 * `maxBytes`, cannot be fetched, or has no URL is returned as a link: the recipient still
 * gets it, nothing is dropped.
 */
export async function resolveOutboundAttachments(
  media: readonly Attachment[],
  options: ResolveAttachmentsOptions,
): Promise<ResolvedAttachments> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const files: OutboundFile[] = [];
  const links: OutboundLink[] = [];
  let remaining = options.maxBytes;
  for (const [index, item] of media.entries()) {
    const filename = filenameFor(item, index);
    if (!item.url) {
      links.push({ label: filename, reason: 'the media has no URL' });
      continue;
    }
    if (item.size !== undefined && item.size > remaining) {
      links.push({ label: filename, url: item.url, reason: 'too large to attach' });
      continue;
    }
    try {
      const response = await fetchImpl(item.url, {
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        links.push({ label: filename, url: item.url, reason: `fetch answered ${response.status}` });
        continue;
      }
      const content = await readLimited(response, remaining);
      if (content === undefined) {
        links.push({ label: filename, url: item.url, reason: 'too large to attach' });
        continue;
      }
      remaining -= content.byteLength;
      const contentType =
        item.mimeType ??
        response.headers.get('content-type')?.split(';')[0]?.trim() ??
        'application/octet-stream';
      files.push({ filename, contentType, content });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      links.push({ label: filename, url: item.url, reason: `fetch failed: ${reason}` });
    }
  }
  return { files, links };
}
