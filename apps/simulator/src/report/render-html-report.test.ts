import { describe, expect, it } from 'vitest';
import { histogram, summarize } from './latency-stats.js';
import { histogramSvg } from './render-html-report.js';

/** The `y` of every bar top and of every percentile label (baseline) in the SVG. */
function geometry(svg: string) {
  const barTops = [
    ...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"/g),
  ]
    .filter(([, , height]) => Number(height) > 0)
    .map(([, y]) => Number(y));
  const labels = [
    ...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" font-size="(\d+)"[^>]*>(p\d\d) /g),
  ].map(([, y, size, name]) => ({ name, baseline: Number(y), top: Number(y) - Number(size) }));
  return { barTops, labels };
}

describe('the HTML report histogram', () => {
  it('puts the p50/p95/p99 labels above the bars, each on its own line', () => {
    // most samples in one bucket: its bar is as tall as the chart, right where p50 sits
    const samples = [...Array.from({ length: 500 }, () => 12), 30, 45, 80, 200];
    const svg = histogramSvg({ all: summarize(samples), histogram: histogram(samples) });
    const { barTops, labels } = geometry(svg);
    expect(labels.map((label) => label.name)).toEqual(['p50', 'p95', 'p99']);
    const tallest = Math.min(...barTops);
    for (const label of labels) expect(label.baseline).toBeLessThanOrEqual(tallest);
    for (const [index, label] of labels.entries()) {
      const next = labels[index + 1];
      if (next) expect(next.top).toBeGreaterThanOrEqual(label.baseline - 1);
      expect(label.top).toBeGreaterThanOrEqual(0);
    }
  });
});
