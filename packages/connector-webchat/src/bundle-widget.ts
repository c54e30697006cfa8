import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectorError } from '@threadline/connector-kit';

const here = dirname(fileURLToPath(import.meta.url));
const fromSource = !here.split(/[\\/]/).includes('dist');
const packageRoot = join(here, '..');

/** Where the widget's sources and its prebuilt bundle live, from `src/` or from `dist/`. */
export const widgetPaths = {
  entry: join(packageRoot, 'src', 'widget', 'index.ts'),
  sources: join(packageRoot, 'src', 'widget'),
  bundle: join(packageRoot, 'dist', 'widget.js'),
};

/**
 * Bundles the browser widget into one small self-contained script (an IIFE for ES2019
 * browsers) with esbuild. esbuild is only needed where the widget is built: a published
 * package ships `dist/widget.js`.
 */
export async function bundleWidget(options: { minify?: boolean } = {}): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    throw new ConnectorError(
      'configuration_invalid',
      'dist/widget.js is missing and esbuild is not installed to build it: run the package build',
      { cause: error },
    );
  }
  const result = await esbuild.build({
    entryPoints: [widgetPaths.entry],
    bundle: true,
    format: 'iife',
    target: 'es2019',
    platform: 'browser',
    minify: options.minify ?? true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no widget bundle');
  return output.text;
}

function newestSourceTime(): number {
  if (!existsSync(widgetPaths.sources)) return 0;
  return Math.max(
    0,
    ...readdirSync(widgetPaths.sources)
      .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))
      .map((name) => statSync(join(widgetPaths.sources, name)).mtimeMs),
  );
}

/**
 * The widget script to serve: `dist/widget.js` when it is there and not older than the
 * sources, else a bundle built now from the sources (so tests and `npm start` need no build
 * step, and a stale bundle is never served while working on the widget).
 */
export async function loadWidgetScript(): Promise<string> {
  const sourcesExist = existsSync(widgetPaths.entry);
  if (existsSync(widgetPaths.bundle)) {
    const stale =
      fromSource && sourcesExist && statSync(widgetPaths.bundle).mtimeMs < newestSourceTime();
    if (!stale) return readFile(widgetPaths.bundle, 'utf8');
  }
  if (!sourcesExist) {
    throw new ConnectorError(
      'configuration_invalid',
      `the web chat widget is missing: neither ${widgetPaths.bundle} nor its sources exist`,
    );
  }
  return bundleWidget();
}
