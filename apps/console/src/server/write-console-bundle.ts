import { consolePaths, loadConsoleAssets, scriptBytesGzipped } from './console-assets.js';

/** `npm run build` step: Vite writes the console to dist/app; prints its gzipped script size. */
const vite = await import('vite');
await vite.build({ configFile: consolePaths.config, root: consolePaths.root, logLevel: 'warn' });
const gzipped = scriptBytesGzipped(await loadConsoleAssets());
process.stdout.write(`wrote ${consolePaths.built} (JavaScript ${gzipped} bytes gzipped)\n`);
