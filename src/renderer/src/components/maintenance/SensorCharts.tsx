// Sensor charts of the selected element: one chart per mapped metric (time series downsampled by
// the gateway, min-max band and mean), with the rules' thresholds drawn; live while readings
// arrive (redrawn at most every two seconds), over a chosen period.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useApi, useEvent } from '../../api-context';
import type { SensorMapping, SensorSeries } from '../../../../shared/api/sensors';
import { SensorChart, type ChartThreshold } from './SensorChart';

const PERIODS = [
  { label: '15 min', ms: 15 * 60_000 },
  { label: '1 h', ms: 3600_000 },
  { label: '24 h', ms: 24 * 3600_000 },
  { label: '7 d', ms: 7 * 24 * 3600_000 },
] as const;
const LIVE_REDRAW_MS = 2000;

export function SensorCharts({ twinId, elementKey }: { twinId: string; elementKey: string | null }) {
  const api = useApi();
  const [mappings, setMappings] = useState<SensorMapping[] | null>(null);
  const [series, setSeries] = useState<Map<number, SensorSeries>>(new Map());
  const [period, setPeriod] = useState<number>(PERIODS[1].ms);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const redraw = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    setMappings(null);
    setSeries(new Map());
    if (!elementKey) return;
    let live = true;
    void api.call('sensors.listMappings', { twinId, elementKey }).then((r) => {
      if (!live) return;
      if (r.ok) {
        setMappings(r.value.mappings);
        setError(null);
      } else setError(r.error.message);
    });
    return () => {
      live = false;
    };
  }, [api, twinId, elementKey]);

  useEffect(() => {
    if (!mappings?.length) return;
    let live = true;
    const to = Date.now();
    void Promise.all(
      mappings.map((m) =>
        api.call('sensors.series', { mappingId: m.id, from: Math.max(0, to - period), to, points: 150 }),
      ),
    ).then((answers) => {
      if (!live) return;
      const next = new Map<number, SensorSeries>();
      answers.forEach((r, i) => {
        if (r.ok) next.set(mappings[i]!.id, r.value);
      });
      setSeries(next);
    });
    return () => {
      live = false;
    };
  }, [api, mappings, period, tick]);

  useEffect(
    () => () => {
      if (redraw.current) clearTimeout(redraw.current);
    },
    [],
  );
  const ids = useMemo(() => new Set((mappings ?? []).map((m) => m.id)), [mappings]);
  useEvent('sensors.reading', (e) => {
    if (!ids.has(e.mappingId) || redraw.current) return;
    redraw.current = setTimeout(() => {
      redraw.current = null;
      setTick((n) => n + 1);
    }, LIVE_REDRAW_MS);
  });

  if (!elementKey) {
    return (
      <div className="empty-state small-pad">
        Select a pump, fan or other equipment in 3D or in the tree to see its sensor readings.
      </div>
    );
  }
  if (error) return <div className="empty-state error small-pad">Sensor readings unavailable: {error}</div>;
  if (!mappings) return <div className="empty-state small-pad">Loading sensors…</div>;
  if (mappings.length === 0) {
    return (
      <div className="empty-state small-pad">
        No sensor is mapped to this element. Map an MQTT topic to it in the gateway settings to chart its
        readings.
      </div>
    );
  }
  return (
    <div className="sensor-charts" data-testid="sensor-charts">
      <div className="sensor-periods" role="group" aria-label="Period">
        {PERIODS.map((p) => (
          <button
            key={p.label}
            className={p.ms === period ? 'chip-button active' : 'chip-button'}
            aria-pressed={p.ms === period}
            onClick={() => setPeriod(p.ms)}
          >
            {p.label}
          </button>
        ))}
      </div>
      {mappings.map((m) => {
        const s = series.get(m.id);
        const thresholds: ChartThreshold[] = (s?.thresholds ?? []).map((t) => ({
          value: t.value,
          label: `${t.comparator} ${t.value} ${t.action}`,
          above: t.comparator === '>' || t.comparator === '>=',
        }));
        return (
          <SensorChart
            key={m.id}
            title={m.label || m.metric}
            unit={m.unit}
            points={s?.points ?? []}
            thresholds={thresholds}
          />
        );
      })}
    </div>
  );
}
