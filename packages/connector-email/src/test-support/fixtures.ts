import { readFileSync } from 'node:fs';

/** A recorded message from `src/__fixtures__`, byte for byte. */
export function readFixture(name: string): Buffer {
  return readFileSync(new URL(`../__fixtures__/${name}`, import.meta.url));
}

/** A tiny valid PNG (1×1 pixel). */
export const pixelPng = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4n8YAAAPNAWbDbP9aAAAAAElFTkSuQmCC',
  'base64',
);
