import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HistoryResponse } from '../../../contract/api.js';
import { CITY_TIME_ZONE, fieldUnit, formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { fetchHistory } from '../../live/api.js';

const WINDOW_MS = 3_600_000;
const BUCKET_MS = 30_000;
const REFRESH_MS = 30_000;

type Load =
  | { state: 'loading' }
  | { state: 'error' }
  | { state: 'ready'; from: number; to: number; xs: number[]; ys: (number | null)[] };

/** Seconds and values of one numeric field from a history answer (uPlot wants seconds). */
export function seriesOf(history: HistoryResponse, field: string): { xs: number[]; ys: (number | null)[] } {
  const xs: number[] = [];
  const ys: (number | null)[] = [];
  for (const point of history.points) {
    const value = point.fields[field];
    xs.push(point.ts / 1000);
    ys.push(typeof value === 'number' && Number.isFinite(value) ? value : null);
  }
  return { xs, ys };
}

function useHistory(domain: string, id: string, field: string): Load {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  useEffect(() => {
    let cancelled = false;
    setLoad({ state: 'loading' });
    const run = () => {
      const to = Date.now();
      fetchHistory(domain, id, { from: to - WINDOW_MS, to, everyMs: BUCKET_MS, fields: [field] })
        .then((history) => {
          if (!cancelled) setLoad({ state: 'ready', from: history.from, to: history.to, ...seriesOf(history, field) });
        })
        .catch(() => {
          if (!cancelled) setLoad((previous) => (previous.state === 'ready' ? previous : { state: 'error' }));
        });
    };
    run();
    const timer = setInterval(run, REFRESH_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [domain, id, field]);
  return load;
}

/** The last hour of one field as a line chart (uPlot), refreshed every 30 s. */
export function HistoryChart({ domain, id, field }: { domain: string; id: string; field: string }) {
  const locale = useLocale();
  const load = useHistory(domain, id, field);
  const host = useRef<HTMLDivElement>(null);
  const hasData = load.state === 'ready' && load.ys.some((y) => y !== null);

  useEffect(() => {
    const element = host.current;
    if (!element || load.state !== 'ready' || !hasData) return;
    const unit = fieldUnit(field, t);
    // A handful of points draws no visible line: mark them.
    const sparse = load.ys.filter((y) => y !== null).length < 12;
    const styles = getComputedStyle(element);
    const axisColor = styles.getPropertyValue('--text-muted').trim() || '#9fb0c7';
    const gridColor = styles.getPropertyValue('--grid').trim() || '#1c2a3d';
    const lineColor = styles.getPropertyValue('--accent').trim() || '#4fb3ff';
    const font = `${Math.round(parseFloat(styles.fontSize) * 0.8)}px ${styles.fontFamily}`;
    const axis = { stroke: axisColor, font, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } };
    const chart = new uPlot(
      {
        width: element.clientWidth,
        height: Math.max(140, Math.round(element.clientWidth * 0.45)),
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), CITY_TIME_ZONE),
        // The axis always spans the whole hour, so a young sensor's few points sit at the right end.
        scales: { x: { time: true, range: () => [load.from / 1000, load.to / 1000] } },
        axes: [
          {
            ...axis,
            space: 70,
            values: (_u, ticks) => ticks.map((ts) => formatCityTime(ts * 1000, locale).slice(0, 5)),
          },
          {
            ...axis,
            size: 56,
            values: (_u, ticks) => ticks.map((v) => formatNumber(v, locale, 1)),
            label: unit || undefined,
            labelFont: font,
          },
        ],
        series: [
          {},
          {
            stroke: lineColor,
            width: 2,
            fill: 'rgba(79, 179, 255, 0.12)',
            spanGaps: false,
            points: { show: sparse, size: 7, fill: lineColor },
          },
        ],
      },
      [load.xs, load.ys],
      element,
    );
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: element.clientWidth, height: Math.max(140, Math.round(element.clientWidth * 0.45)) });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [load, field, locale, hasData]);

  return (
    <div className="chart" data-state={load.state}>
      {load.state === 'loading' && <p className="chart__note">{t('inspector.loading')}</p>}
      {load.state === 'error' && <p className="chart__note chart__note--error">{t('inspector.historyError')}</p>}
      {load.state === 'ready' && !hasData && <p className="chart__note">{t('inspector.noHistory')}</p>}
      <div ref={host} className="chart__plot" />
    </div>
  );
}
