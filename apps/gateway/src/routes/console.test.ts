import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway } from '../test-support/test-gateway.js';

let harness: ReturnType<typeof createTestGateway>;
beforeAll(() => {
  harness = createTestGateway();
});
afterAll(async () => {
  await harness.close();
});

describe('GET /console', () => {
  it('serves the console app without a build step: the page, its hashed assets, and app routes', async () => {
    const redirect = await harness.app.request('/console');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');

    const page = await harness.app.request('/console/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const html = await page.text();
    const script = /src="\/console\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();

    const asset = await harness.app.request(`/console/${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');

    // a deep link to a view answers with the app; a missing asset does not
    expect(await (await harness.app.request('/console/conversations')).text()).toBe(html);
    const missing = await harness.app.request('/console/assets/missing.js');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
