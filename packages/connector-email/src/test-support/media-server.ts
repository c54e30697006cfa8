import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server serving fixed files, standing in for wherever media URLs point. */
export async function startMediaServer(
  files: Record<string, { contentType: string; body: Buffer }>,
) {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    requests.push(path);
    const file = files[path];
    if (!file) {
      response.writeHead(404).end('not found');
      return;
    }
    response
      .writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length })
      .end(file.body);
  });
  const { port } = await new Promise<AddressInfo>((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server.address() as AddressInfo));
  });
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
