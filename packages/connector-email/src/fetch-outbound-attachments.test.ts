import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveOutboundAttachments } from './fetch-outbound-attachments.js';
import { pixelPng } from './test-support/fixtures.js';
import { startMediaServer } from './test-support/media-server.js';

let media: Awaited<ReturnType<typeof startMediaServer>>;

beforeAll(async () => {
  media = await startMediaServer({
    '/files/cat.png': { contentType: 'image/png', body: pixelPng },
    '/files/big.bin': { contentType: 'application/octet-stream', body: Buffer.alloc(4096) },
    '/files/Gr%C3%BC%C3%9Fe.txt': {
      contentType: 'text/plain; charset=utf-8',
      body: Buffer.from('hi'),
    },
  });
});
afterAll(() => media.close());

const options = { maxBytes: 1024, timeoutMs: 5000 };

describe('resolveOutboundAttachments', () => {
  it('fetches media into files named after the media or its URL', async () => {
    const result = await resolveOutboundAttachments(
      [
        { kind: 'image', url: media.url('/files/cat.png'), filename: 'kitten.png' },
        { kind: 'file', url: media.url('/files/Gr%C3%BC%C3%9Fe.txt') },
      ],
      options,
    );
    expect(result.links).toEqual([]);
    expect(result.files).toEqual([
      { filename: 'kitten.png', contentType: 'image/png', content: pixelPng },
      { filename: 'Grüße.txt', contentType: 'text/plain', content: Buffer.from('hi') },
    ]);
  });

  it('sends media over the size budget, unreachable or without a URL as links', async () => {
    const result = await resolveOutboundAttachments(
      [
        { kind: 'file', url: media.url('/files/big.bin') },
        { kind: 'image', url: media.url('/files/missing.png') },
        { kind: 'file', mediaId: 'provider-media-1', filename: 'scan.pdf' },
        { kind: 'video', url: media.url('/files/cat.png'), size: 10_000_000 },
      ],
      options,
    );
    expect(result.files).toEqual([]);
    expect(result.links).toEqual([
      { label: 'big.bin', url: media.url('/files/big.bin'), reason: 'too large to attach' },
      { label: 'missing.png', url: media.url('/files/missing.png'), reason: 'fetch answered 404' },
      { label: 'scan.pdf', reason: 'the media has no URL' },
      { label: 'cat.png', url: media.url('/files/cat.png'), reason: 'too large to attach' },
    ]);
  });

  it('links media whose server cannot be reached', async () => {
    const result = await resolveOutboundAttachments(
      [{ kind: 'image', url: 'http://127.0.0.1:1/none.png' }],
      options,
    );
    expect(result.links).toMatchObject([
      { label: 'none.png', reason: expect.stringMatching(/^fetch failed/) },
    ]);
  });
});
