import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** One value per bucket; null where there is nothing to show. */
  values: (number | null)[];
}

/** Series colours that keep their contrast on the light and the dark background. */
const palette = ['#2f6fde', '#d9480f', '#2b8a3e', '#ae3ec9'];

/**
 * A time series drawn with uPlot (a canvas, small and fast), with the same figures as a
 * table beside it for screen readers and for reading exact values.
 */
export function TimeChart({
  title,
  starts,
  series,
  format,
  whole = false,
}: {
  title: string;
  /** The start of each bucket (ISO 8601). */
  starts: string[];
  series: ChartSeries[];
  format: (value: number) => string;
  /** Counts: ticks on whole numbers only. */
  whole?: boolean;
}) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const xs = starts.map((start) => Date.parse(start) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 200,
        legend: { show: true },
        axes: [
          { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' } },
          {
            stroke: 'currentColor',
            grid: { stroke: 'rgba(128,128,128,0.15)' },
            values: (_plot, ticks) => ticks.map(format),
            size: 64,
            ...(whole
              ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 10_000, 100_000] }
              : {}),
          },
        ],
        series: [
          {},
          ...series.map((line, index) => ({
            label: line.label,
            stroke: palette[index % palette.length]!,
            width: 2,
            spanGaps: false,
            points: { show: xs.length < 60 },
            value: (_plot: uPlot, value: number | null) => (value === null ? '—' : format(value)),
          })),
        ],
      },
      [xs, ...series.map((line) => line.values)] as uPlot.AlignedData,
      element,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(280, element.clientWidth), height: 200 }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [starts, series, format, whole]);

  return (
    <figure class="chart card">
      <figcaption>{title}</figcaption>
      <div
        ref={holder}
        role="img"
        aria-label={`${title}: chart; the figures are in the table below`}
      />
      <details>
        <summary>Show as a table</summary>
        <table class="chart-table">
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">From</th>
              {series.map((line) => (
                <th key={line.label} scope="col">
                  {line.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {starts.map((start, row) => (
              <tr key={start}>
                <th scope="row">
                  <time dateTime={start}>{new Date(start).toLocaleString()}</time>
                </th>
                {series.map((line) => {
                  const value = line.values[row];
                  return <td key={line.label}>{value == null ? '—' : format(value)}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
