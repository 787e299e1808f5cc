import { useId } from 'react';
import { LineChart } from '../../charts/line-chart.js';
import { extent } from '../../charts/chart-scales.js';
import type { VitalChart, VitalLineId } from '../../telemetry/vital-series.js';

const readingTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'medium',
});
/** Values exactly as the gateway measured them (no rounding beyond what it sent). */
const reading = new Intl.NumberFormat(undefined, { maximumFractionDigits: 3 });

/**
 * One vital sign: heading with its unit (UCUM code), the chart, a legend when it
 * has two lines (blood pressure), and the same readings as a table — what screen
 * reader users read, and anyone who wants the exact numbers.
 */
export function VitalChartFigure({
  chart,
  timeDomain,
}: {
  readonly chart: VitalChart;
  readonly timeDomain: readonly [number, number] | undefined;
}) {
  const headingId = useId();
  const unitLabel = `${chart.unitDisplay} (UCUM ${chart.unit})`;
  return (
    <section
      aria-labelledby={headingId}
      className="vital-chart panel"
      data-testid={`chart-${chart.kind}`}
    >
      <h3 id={headingId}>
        {chart.title} <span className="unit">{unitLabel}</span>
      </h3>
      <LineChart
        title={`${chart.title} over time`}
        description={describe(chart)}
        series={chart.lines}
        valueAxisLabel={chart.unitDisplay}
        unit={chart.unitDisplay}
        formatValue={(value) => reading.format(value)}
        {...(timeDomain ? { timeDomain } : {})}
      />
      {chart.lines.length > 1 ? (
        <ul className="chart-legend" aria-label="Legend">
          {chart.lines.map((line, index) => (
            <li key={line.id}>
              <span className={`legend-swatch legend-swatch-${index}`} aria-hidden="true" />
              {line.label}
            </li>
          ))}
        </ul>
      ) : null}
      <details className="readings">
        <summary>Readings as a table ({chart.rows.length})</summary>
        <div className="table-scroll">
          <table className="table readings-table">
            <caption className="visually-hidden">
              {chart.title} readings, {unitLabel}
            </caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                {chart.lines.map((line) => (
                  <th scope="col" key={line.id}>
                    {line.label} ({chart.unit})
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {chart.rows.map((row, index) => (
                <tr key={index}>
                  <td className="nowrap">
                    <time dateTime={new Date(row.time).toISOString()}>
                      {readingTime.format(row.time)}
                    </time>
                  </td>
                  {chart.lines.map((line) => (
                    <td key={line.id} className="number">
                      {valueOf(row.values, line.id)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

function valueOf(values: Partial<Record<VitalLineId, number>>, id: VitalLineId): string {
  const value = values[id];
  return value === undefined ? '' : reading.format(value);
}

/** The chart in one sentence, for assistive technology. */
function describe(chart: VitalChart): string {
  const count = chart.rows.length;
  const [first, last] = extent(chart.rows.map((r) => r.time)) ?? [0, 0];
  const ranges = chart.lines
    .map((line) => {
      const [low, high] = extent(line.readings.map((r) => r.value)) ?? [0, 0];
      const range =
        low === high ? reading.format(low) : `${reading.format(low)} to ${reading.format(high)}`;
      return chart.lines.length > 1 ? `${line.label.toLowerCase()} ${range}` : range;
    })
    .join(', ');
  return `${count} ${count === 1 ? 'reading' : 'readings'} from ${readingTime.format(first)} to ${readingTime.format(last)}; ${ranges} ${chart.unitDisplay}.`;
}
