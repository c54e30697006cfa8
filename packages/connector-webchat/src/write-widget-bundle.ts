import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWidget, widgetPaths } from './bundle-widget.js';

/** `npm run build` step: writes the browser widget to dist/widget.js. */
const script = await bundleWidget();
mkdirSync(dirname(widgetPaths.bundle), { recursive: true });
writeFileSync(widgetPaths.bundle, script);
process.stdout.write(`wrote ${widgetPaths.bundle} (${Buffer.byteLength(script)} bytes)\n`);
