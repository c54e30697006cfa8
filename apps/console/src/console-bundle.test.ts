import { describe, expect, it } from 'vitest';
import { buildConsole, scriptBytesGzipped } from './server/console-assets.js';

describe('the console build', () => {
  it('keeps its JavaScript within 250 KB gzipped and loads nothing from outside /console', async () => {
    const assets = await buildConsole();
    const scripts = [...assets.keys()].filter((path) => path.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    expect(scriptBytesGzipped(assets)).toBeLessThanOrEqual(250 * 1024);

    const html = new TextDecoder().decode(assets.get('index.html')!.body);
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(references.length).toBeGreaterThan(0);
    for (const reference of references) {
      expect(reference.startsWith('/console/'), reference).toBe(true);
      expect(assets.has(reference.slice('/console/'.length)), reference).toBe(true);
    }
    // no code fetches from a CDN or any absolute origin
    for (const path of scripts) {
      const code = new TextDecoder().decode(assets.get(path)!.body);
      expect(code).not.toMatch(/import\s*\(\s*["']https?:/);
      expect(code).not.toMatch(/from\s*["']https?:/);
    }
  });
});
