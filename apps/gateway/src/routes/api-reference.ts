import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { App } from './route-helpers.js';

/**
 * The API reference at `/docs`: Swagger UI rendering `/openapi.json`, with every asset served
 * by the gateway itself from the pinned `swagger-ui-dist` package — no CDN, so the page works
 * on a machine without internet. The files are read once, on first use.
 */
const assets = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;
type AssetName = keyof typeof assets;

const initializer = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#reference',
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
`;

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Threadline API reference</title>
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/initializer.js"></script>
</body>
</html>
`;

function assetDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}

export function registerApiReference(app: App): void {
  const cache = new Map<AssetName, Uint8Array>();
  const read = (name: AssetName) => {
    let body = cache.get(name);
    if (!body) {
      body = new Uint8Array(readFileSync(join(assetDirectory(), name)));
      cache.set(name, body);
    }
    return body;
  };

  app.get('/docs', (context) => context.html(page));
  app.get('/docs/assets/initializer.js', (context) =>
    context.body(initializer, 200, { 'content-type': assets['swagger-ui-bundle.js'] }),
  );
  app.get('/docs/assets/:name', (context) => {
    const name = context.req.param('name');
    if (!Object.hasOwn(assets, name)) return context.notFound();
    return context.body(new Uint8Array(read(name as AssetName)), 200, {
      'content-type': assets[name as AssetName],
      'cache-control': 'public, max-age=86400',
    });
  });
}
