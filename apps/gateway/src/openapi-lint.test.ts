import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { createApp } from './create-app.js';

/** The gateway's OpenAPI document, linted by Redocly with its `recommended` ruleset. */
async function lintDocument(publicUrl?: string) {
  const directory = mkdtempSync(join(tmpdir(), 'threadline-openapi-'));
  const app = createApp({
    dataDirectory: directory,
    connectorsFromEnv: false,
    logLevel: 'silent',
    env: {},
    ...(publicUrl ? { publicUrl } : {}),
  });
  try {
    const source = await (await app.request('/openapi.json')).text();
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source, absoluteRef: '/openapi.json', config });
    return {
      document: JSON.parse(source) as {
        servers: Array<{ url: string }>;
        paths: Record<string, Record<string, { operationId?: string }>>;
      },
      problems: problems.map(
        (problem) =>
          `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`,
      ),
    };
  } finally {
    await app.gateway.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

describe('the OpenAPI document', () => {
  it("passes Redocly's recommended ruleset with no error and no warning", async () => {
    const { problems, document } = await lintDocument();
    expect(problems).toEqual([]);
    expect(document.servers).toEqual([{ url: '/' }]);
  });

  it('names each operation after the typed client method that calls it', async () => {
    const { document } = await lintDocument('https://chat.example.com');
    expect(document.servers).toEqual([{ url: 'https://chat.example.com' }]);
    expect(document.paths['/v1/messages']?.post?.operationId).toBe('messages.send');
    expect(document.paths['/v1/contacts/{id}/identities']?.post?.operationId).toBe(
      'contacts.linkIdentity',
    );
    expect(document.paths['/v1/webhooks/{id}/dead-letters']?.get?.operationId).toBe(
      'webhooks.deadLetters',
    );
  });
});
