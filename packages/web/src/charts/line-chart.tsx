import { useId } from 'react';
import { layoutLineChart } from './line-chart-layout.js';
import type { ChartSeries, PlottedPoint } from './line-chart-layout.js';

const DAY_MS = 86_400_000;
const timeOfDay = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const pointTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export interface LabelledSeries extends ChartSeries {
  /** Shown in the legend and in each point's tooltip. */
  readonly label: string;
}

export interface LineChartProps {
  /** What the chart shows, for assistive technology (the figure has a visible heading too). */
  readonly title: string;
  /** A one-sentence summary read out instead of the drawing. */
  readonly description: string;
  readonly series: readonly LabelledSeries[];
  /** The y axis title, e.g. "beats/minute (UCUM /min)". */
  readonly valueAxisLabel: string;
  /** The unit after each point's value in its tooltip. */
  readonly unit: string;
  readonly timeDomain?: readonly [number, number];
  readonly formatValue: (value: number) => string;
}

/** Marker shapes, so that two lines differ by more than colour (WCAG 1.4.1). */
const MARKERS = ['circle', 'square'] as const;

/**
 * A time-series line chart drawn as SVG by React: axes with ticks, grid lines, one
 * line and one marker per reading for each series. Styling is all classes in
 * styles.css (the CSP has no 'unsafe-inline' for styles); geometry is attributes.
 * It is `role="img"` with a title and summary; the table next to it carries the values.
 */
export function LineChart({
  title,
  description,
  series,
  valueAxisLabel,
  unit,
  timeDomain,
  formatValue,
}: LineChartProps) {
  const titleId = useId();
  const descId = useId();
  const start = timeDomain?.[0] ?? series[0]?.readings[0]?.time ?? 0;
  const layout = layoutLineChart(series, {
    localOffsetMs: -new Date(start).getTimezoneOffset() * 60_000,
    ...(timeDomain ? { timeDomain } : {}),
  });
  const { frame, plot } = layout;
  const tickValue = (value: number) =>
    value.toLocaleString(undefined, {
      minimumFractionDigits: layout.yDecimals,
      maximumFractionDigits: layout.yDecimals,
    });

  return (
    <svg
      className="line-chart"
      viewBox={`0 0 ${frame.width} ${frame.height}`}
      role="img"
      aria-labelledby={`${titleId} ${descId}`}
    >
      <title id={titleId}>{title}</title>
      <desc id={descId}>{description}</desc>
      <g className="chart-grid" aria-hidden="true">
        {layout.yTicks.map(({ y, value }) => (
          <g key={value}>
            <line x1={plot.left} x2={plot.right} y1={y} y2={y} />
            <text className="chart-tick chart-tick-y" x={plot.left - 8} y={y} dy="0.32em">
              {tickValue(value)}
            </text>
          </g>
        ))}
        {layout.xTicks.map(({ x, time }, index) => {
          const previous = layout.xTicks[index - 1]?.time;
          const [first, second] = timeLabel(time, previous, layout.xStep);
          return (
            <g key={time}>
              <line
                className="chart-tick-mark"
                x1={x}
                x2={x}
                y1={plot.bottom}
                y2={plot.bottom + 5}
              />
              <text className="chart-tick chart-tick-x" x={x} y={plot.bottom + 20}>
                {first}
              </text>
              {second ? (
                <text className="chart-tick chart-tick-x" x={x} y={plot.bottom + 36}>
                  {second}
                </text>
              ) : null}
            </g>
          );
        })}
      </g>
      <g className="chart-axes" aria-hidden="true">
        <line x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
        <line x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
        <text
          className="chart-axis-title"
          transform={`translate(14 ${(plot.top + plot.bottom) / 2}) rotate(-90)`}
        >
          {valueAxisLabel}
        </text>
      </g>
      {layout.lines.map((line, index) => {
        const label = series[index]?.label ?? line.id;
        const marker = MARKERS[index % MARKERS.length] ?? 'circle';
        return (
          <g key={line.id} className={`chart-series chart-series-${index}`} data-series={line.id}>
            <path className="chart-line" d={line.path} />
            {line.points.map((point, i) => (
              <Marker
                key={i}
                shape={marker}
                point={point}
                tooltip={`${label}: ${formatValue(point.value)} ${unit}, ${pointTime.format(point.time)}`}
              />
            ))}
          </g>
        );
      })}
    </svg>
  );
}

function Marker({
  shape,
  point,
  tooltip,
}: {
  readonly shape: (typeof MARKERS)[number];
  readonly point: PlottedPoint;
  readonly tooltip: string;
}) {
  const hover = <title>{tooltip}</title>;
  return shape === 'square' ? (
    <rect
      className="chart-point"
      x={point.x - 3.5}
      y={point.y - 3.5}
      width={7}
      height={7}
      data-time={point.time}
      data-value={point.value}
    >
      {hover}
    </rect>
  ) : (
    <circle
      className="chart-point"
      cx={point.x}
      cy={point.y}
      r={3.5}
      data-time={point.time}
      data-value={point.value}
    >
      {hover}
    </circle>
  );
}

/** Time of day under a day; the date as well where the day changes. Days and weeks: the date. */
function timeLabel(time: number, previous: number | undefined, step: number): [string, string?] {
  if (step >= DAY_MS) return [dayMonth.format(time)];
  const day = dayMonth.format(time);
  const newDay = previous === undefined || dayMonth.format(previous) !== day;
  return newDay ? [timeOfDay.format(time), day] : [timeOfDay.format(time)];
}
