import type { ConsoleAssets } from '@threadline/console';
import { errorBody } from '../http-errors.js';
import type { Logger } from '../logger.js';
import type { App } from './route-helpers.js';

/**
 * `GET /console/*`: the operator console, a static app on the public API. Its files come from
 * `@threadline/console` (built, or built now from its sources), loaded on the first request.
 */
export function registerConsoleRoutes(app: App, log: Logger): void {
  let assets: Promise<ConsoleAssets> | undefined;
  const load = () => {
    assets ??= import('@threadline/console').then((console) => console.loadConsoleAssets());
    assets.catch((error: unknown) => {
      log.error({ error: String(error) }, 'the console could not be loaded');
      assets = undefined;
    });
    return assets;
  };

  app.get('/console', (context) => context.redirect('/console/', 301));
  app.get('/console/*', async (context) => {
    let files: ConsoleAssets;
    try {
      files = await load();
    } catch (error) {
      return context.json(
        errorBody('console_unavailable', `the console is not available: ${String(error)}`),
        503,
      );
    }
    const path = context.req.path.slice('/console/'.length);
    const file =
      files.get(path) ?? (path.startsWith('assets/') ? undefined : files.get('index.html'));
    if (!file) return context.json(errorBody('not_found', `no console file ${path}`), 404);
    return context.body(new Uint8Array(file.body), 200, {
      'content-type': file.contentType,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
  });
}
