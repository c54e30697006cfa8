import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.js';

/** `# TYPE name type` lines of a Prometheus text exposition. */
function declaredTypes(text: string): Array<{ name: string; type: string }> {
  return [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({
    name: name!,
    type: type!,
  }));
}

describe('metrics', () => {
  it('follow Prometheus naming: only counters end in _total, and every counter does', async () => {
    const metrics = createMetrics();
    metrics.inboundMessages.inc({ channel: 'sms' });
    const text = await metrics.registry.metrics();
    const types = declaredTypes(text);
    expect(types.length).toBeGreaterThan(20);
    const misnamed = types.filter(
      ({ name, type }) => (type === 'counter') !== name.endsWith('_total'),
    );
    expect(misnamed).toEqual([]);
  });

  it('still serve the process-wide handle, request and resource counts under names that lint', async () => {
    const text = await createMetrics().registry.metrics();
    for (const kind of ['handles', 'requests', 'resources']) {
      expect(text).toMatch(
        new RegExp(`^# TYPE threadline_nodejs_active_${kind}_all_types gauge$`, 'm'),
      );
      expect(text).toMatch(new RegExp(`^threadline_nodejs_active_${kind}_all_types \\d+$`, 'm'));
    }
  });
});
