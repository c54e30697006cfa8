import { readFileSync } from 'node:fs';

/** The text of a recorded payload under `src/__fixtures__/`, exactly as stored. */
export function readFixture(path: string): string {
  return readFileSync(new URL(`../__fixtures__/${path}`, import.meta.url), 'utf8');
}

/** A recorded payload under `src/__fixtures__/`, parsed. */
export function readJsonFixture<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFixture(path)) as T;
}
