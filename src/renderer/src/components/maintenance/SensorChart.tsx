// A small SVG time-series chart for one sensor metric: the min-max band and mean of each bucket,
// the rule thresholds drawn as dashed lines (red when the series crosses them), and a hover readout.
// No chart library: a few hundred points of SVG is all a side panel needs.
import { useMemo, useState, type MouseEvent } from 'react';

export interface ChartPoint {
  /** Bucket start, ms since epoch. */
  t: number;
  min: number;
  max: number;
  avg: number;
}

export interface ChartThreshold {
  value: number;
  /** e.g. "> 7.1 opens a work order". */
  label: string;
  /** The side of the line that breaches. */
  above: boolean;
}

export interface SensorChartProps {
  title: string;
  unit: string;
  points: readonly ChartPoint[];
  thresholds: readonly ChartThreshold[];
  width?: number;
  height?: number;
}

const PAD = { left: 38, right: 8, top: 8, bottom: 18 };

/** Round axis ticks (1, 2, 5 × 10^n) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 4): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi - lo < 1e-9) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-6; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const clock = (t: number, span: number) =>
  new Date(t).toLocaleTimeString(
    [],
    span > 36 * 3600_000 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' },
  );

export function SensorChart({
  title,
  unit,
  points,
  thresholds,
  width = 300,
  height = 140,
}: SensorChartProps) {
  const [hover, setHover] = useState<number | null>(null);
  const geometry = useMemo(() => {
    if (points.length === 0) return null;
    const t0 = points[0]!.t;
    const t1 = points.at(-1)!.t;
    const values = points.flatMap((p) => [p.min, p.max]).concat(thresholds.map((t) => t.value));
    let lo = Math.min(...values);
    let hi = Math.max(...values);
    const margin = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
    lo -= margin;
    hi += margin;
    const w = width - PAD.left - PAD.right;
    const h = height - PAD.top - PAD.bottom;
    const x = (t: number) => PAD.left + (t1 === t0 ? w / 2 : ((t - t0) / (t1 - t0)) * w);
    const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * h;
    const band =
      points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.max).toFixed(1)}`).join('') +
      [...points]
        .reverse()
        .map((p) => `L${x(p.t).toFixed(1)},${y(p.min).toFixed(1)}`)
        .join('') +
      'Z';
    const line = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.avg).toFixed(1)}`).join('');
    return { t0, t1, lo, hi, x, y, band, line, ticks: niceTicks(lo, hi) };
  }, [points, thresholds, width, height]);

  const onMove = (e: MouseEvent<SVGSVGElement>) => {
    if (!geometry) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const px = ((e.clientX - rect.left) / rect.width) * width;
    let best = 0;
    for (let i = 1; i < points.length; i++)
      if (Math.abs(geometry.x(points[i]!.t) - px) < Math.abs(geometry.x(points[best]!.t) - px)) best = i;
    setHover(best);
  };

  const latest = points.at(-1);
  const breached = (t: ChartThreshold, p: ChartPoint) => (t.above ? p.max > t.value : p.min < t.value);
  return (
    <figure className="sensor-chart" data-testid="sensor-chart" data-metric={title}>
      <figcaption>
        <span className="sensor-chart-title">{title}</span>
        {latest && (
          <span className="sensor-chart-latest">
            {latest.avg.toFixed(2)} {unit}
          </span>
        )}
      </figcaption>
      {!geometry ? (
        <div className="sensor-chart-empty muted small">No readings in this period yet.</div>
      ) : (
        <svg
          viewBox={`0 0 ${width} ${height}`}
          width="100%"
          role="img"
          aria-label={`${title} over time, ${points.length} points${thresholds.length ? `, thresholds ${thresholds.map((t) => t.value).join(', ')} ${unit}` : ''}`}
          onMouseMove={onMove}
          onMouseLeave={() => setHover(null)}
        >
          {geometry.ticks.map((v) => (
            <g key={v} className="sensor-chart-grid">
              <line x1={PAD.left} x2={width - PAD.right} y1={geometry.y(v)} y2={geometry.y(v)} />
              <text x={PAD.left - 4} y={geometry.y(v) + 3} textAnchor="end">
                {v}
              </text>
            </g>
          ))}
          <text className="sensor-chart-axis" x={PAD.left} y={height - 4}>
            {clock(geometry.t0, geometry.t1 - geometry.t0)}
          </text>
          <text className="sensor-chart-axis" x={width - PAD.right} y={height - 4} textAnchor="end">
            {clock(geometry.t1, geometry.t1 - geometry.t0)}
          </text>
          <path className="sensor-chart-band" d={geometry.band} />
          <path className="sensor-chart-line" d={geometry.line} />
          {thresholds.map((t) => {
            const crossed = points.some((p) => breached(t, p));
            return (
              <g
                key={`${t.value}-${t.label}`}
                className={crossed ? 'sensor-chart-threshold crossed' : 'sensor-chart-threshold'}
              >
                <line
                  data-testid="chart-threshold"
                  data-value={t.value}
                  x1={PAD.left}
                  x2={width - PAD.right}
                  y1={geometry.y(t.value)}
                  y2={geometry.y(t.value)}
                />
                <text x={width - PAD.right - 2} y={geometry.y(t.value) - 3} textAnchor="end">
                  {t.label}
                </text>
              </g>
            );
          })}
          {hover !== null && points[hover] && (
            <g className="sensor-chart-hover">
              <line
                x1={geometry.x(points[hover].t)}
                x2={geometry.x(points[hover].t)}
                y1={PAD.top}
                y2={height - PAD.bottom}
              />
              <circle cx={geometry.x(points[hover].t)} cy={geometry.y(points[hover].avg)} r={3} />
            </g>
          )}
        </svg>
      )}
      {hover !== null && points[hover] && (
        <div className="sensor-chart-readout small muted">
          {new Date(points[hover].t).toLocaleString()}: avg {points[hover].avg.toFixed(2)}, min{' '}
          {points[hover].min.toFixed(2)}, max {points[hover].max.toFixed(2)} {unit}
        </div>
      )}
    </figure>
  );
}
