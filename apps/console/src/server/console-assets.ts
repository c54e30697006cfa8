import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const fromSource = !here.split(/[\\/]/).includes('dist');
const packageRoot = join(here, '..', '..');

/** Where the console's sources and its prebuilt files live, from `src/` or from `dist/`. */
export const consolePaths = {
  root: packageRoot,
  html: join(packageRoot, 'index.html'),
  sources: join(packageRoot, 'src', 'app'),
  config: join(packageRoot, 'vite.config.ts'),
  built: join(packageRoot, 'dist', 'app'),
};

export interface ConsoleAsset {
  body: Uint8Array;
  contentType: string;
  /** Content-hashed file names never change: cache them for good. */
  immutable: boolean;
}

/** The built console by path under `/console/` (`index.html`, `assets/index-<hash>.js`, ...). */
export type ConsoleAssets = Map<string, ConsoleAsset>;

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function asset(path: string, body: Uint8Array): ConsoleAsset {
  return {
    body,
    contentType: contentTypes[extname(path)] ?? 'application/octet-stream',
    immutable: path.startsWith('assets/'),
  };
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? filesUnder(path) : [path];
  });
}

function newestSourceTime(): number {
  const sources = existsSync(consolePaths.sources) ? filesUnder(consolePaths.sources) : [];
  return Math.max(
    0,
    ...[...sources, consolePaths.html, consolePaths.config]
      .filter((path) => existsSync(path) && !path.endsWith('.test.ts'))
      .map((path) => statSync(path).mtimeMs),
  );
}

async function readBuilt(): Promise<ConsoleAssets> {
  const assets: ConsoleAssets = new Map();
  for (const path of filesUnder(consolePaths.built)) {
    const name = relative(consolePaths.built, path).split(sep).join('/');
    assets.set(name, asset(name, new Uint8Array(await readFile(path))));
  }
  return assets;
}

/**
 * Builds the console with Vite into memory. Vite is only needed where the console is built:
 * a published package ships `dist/app`.
 */
export async function buildConsole(): Promise<ConsoleAssets> {
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch (error) {
    throw new Error(
      'the console is not built (dist/app is missing) and vite is not installed to build it: run `npm run build`',
      { cause: error },
    );
  }
  const result = await vite.build({
    configFile: consolePaths.config,
    root: consolePaths.root,
    logLevel: 'silent',
    build: { write: false },
  });
  const outputs = Array.isArray(result) ? result : [result];
  const assets: ConsoleAssets = new Map();
  for (const output of outputs) {
    if (!('output' in output)) throw new Error('the console build did not finish');
    for (const file of output.output) {
      const body =
        file.type === 'chunk'
          ? new TextEncoder().encode(file.code)
          : typeof file.source === 'string'
            ? new TextEncoder().encode(file.source)
            : file.source;
      assets.set(file.fileName, asset(file.fileName, body));
    }
  }
  if (!assets.has('index.html')) throw new Error('the console build produced no index.html');
  return assets;
}

/**
 * The console to serve: `dist/app` when it is there and not older than the sources, else a
 * build made now from the sources (so tests and `npm start` need no build step, and a stale
 * build is never served while working on the console).
 */
export async function loadConsoleAssets(): Promise<ConsoleAssets> {
  const builtIndex = join(consolePaths.built, 'index.html');
  if (existsSync(builtIndex)) {
    const stale =
      fromSource &&
      existsSync(consolePaths.sources) &&
      statSync(builtIndex).mtimeMs < newestSourceTime();
    if (!stale) return readBuilt();
  }
  if (!existsSync(consolePaths.sources)) {
    throw new Error(`the console is missing: neither ${builtIndex} nor its sources exist`);
  }
  // one build per process while the sources stay as they are (tests start many gateways)
  const sourcesTime = newestSourceTime();
  if (!lastBuild || lastBuild.sourcesTime !== sourcesTime) {
    const assets = buildConsole();
    lastBuild = { sourcesTime, assets };
    assets.catch(() => {
      if (lastBuild?.assets === assets) lastBuild = undefined;
    });
  }
  return lastBuild.assets;
}

let lastBuild: { sourcesTime: number; assets: Promise<ConsoleAssets> } | undefined;

/** The console's JavaScript, gzipped, in bytes: what a browser downloads on first load. */
export function scriptBytesGzipped(assets: ConsoleAssets): number {
  let total = 0;
  for (const [path, file] of assets)
    if (path.endsWith('.js')) total += gzipSync(file.body, { level: 9 }).byteLength;
  return total;
}
