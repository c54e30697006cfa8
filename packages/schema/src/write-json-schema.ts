import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type PublishedSchemaName,
  publishedSchemas,
  schemaVersion,
  toJsonSchema,
} from './json-schema.js';

/** Writes `dist/json-schema/v1/<name>.json` for every published schema. Run by `npm run build`. */
const here = dirname(fileURLToPath(import.meta.url));
const outputDirectory = join(here, '..', 'dist', 'json-schema', schemaVersion);
mkdirSync(outputDirectory, { recursive: true });
for (const name of Object.keys(publishedSchemas) as PublishedSchemaName[]) {
  writeFileSync(
    join(outputDirectory, `${name}.json`),
    `${JSON.stringify(toJsonSchema(name), null, 2)}\n`,
  );
}
console.log(
  `wrote ${Object.keys(publishedSchemas).length} JSON Schema files to ${outputDirectory}`,
);
