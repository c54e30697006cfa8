import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userPath } from '@threadline/gateway';
import { parse as parseYaml } from 'yaml';
import { type Scenario, scenarioSchema } from './scenario-schema.js';

/**
 * The scenarios shipped with the simulator (`smoke`, `omnichannel`, `peak`, `chaos`,
 * `chaos-kill-every-10s`, `handoff`, `notifications`).
 */
export const bundledScenarioDirectory = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'scenarios',
);

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

export function bundledScenarioNames(): string[] {
  if (!existsSync(bundledScenarioDirectory)) return [];
  return readdirSync(bundledScenarioDirectory)
    .filter((file) => /\.(ya?ml|json)$/.test(file))
    .map((file) => basename(file, extname(file)))
    .sort();
}

/** A bundled scenario by name, or a YAML/JSON file by path. */
export function resolveScenarioPath(nameOrPath: string): string {
  const path = userPath(nameOrPath);
  if (existsSync(path)) return path;
  for (const extension of ['.yaml', '.yml', '.json']) {
    const candidate = join(bundledScenarioDirectory, `${nameOrPath}${extension}`);
    if (existsSync(candidate)) return candidate;
  }
  throw new ScenarioError(
    `no scenario "${nameOrPath}": give a file path or one of ${bundledScenarioNames().join(', ')}`,
  );
}

/** Validates a scenario object; the error names every invalid field by its path. */
export function parseScenario(data: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `  ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`,
  );
  throw new ScenarioError(`${source} is not a valid scenario:\n${problems.join('\n')}`);
}

/** A scenario with the data it was read from (kept in traffic files, so a replay is the same). */
export interface LoadedScenario {
  scenario: Scenario;
  source: unknown;
  path: string;
}

export function loadScenario(nameOrPath: string): LoadedScenario {
  const path = resolveScenarioPath(nameOrPath);
  const text = readFileSync(path, 'utf8');
  let data: unknown;
  try {
    data = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ScenarioError(`${path} cannot be read: ${(error as Error).message}`);
  }
  return { scenario: parseScenario(data, path), source: data, path };
}
