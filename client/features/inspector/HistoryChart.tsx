import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HistoryResponse } from '../../../contract/api.js';
import { CITY_TIME_ZONE, fieldUnit, formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { fetchHistory } from '../../live/api.js';
import type { ReadonlyObservable } from '../../state/observable.js';

const WINDOW_MS = 3_600_000;
const BUCKET_MS = 30_000;
const REFRESH_MS = 30_000;
/** Buckets across a replay window: enough for a smooth line, few enough for one quick answer. */
const PAST_BUCKETS = 240;
const PLAYHEAD_COLOR = '#c58bff';

/** The replay the chart follows: the window it spans and the playhead it marks (ms since epoch). */
export interface PastWindow {
  from: number;
  to: number;
  at: number;
}

/** Bucket width (ms, whole seconds, at least 30 s) for a chart spanning `spanMs`. */
export function bucketFor(spanMs: number): number {
  return Math.max(BUCKET_MS, Math.ceil(spanMs / PAST_BUCKETS / 1000) * 1000);
}

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

/** Live: the last hour, refreshed. Replay: the replay window, fetched once (the past does not change). */
function useHistory(domain: string, id: string, field: string, span: { from: number; to: number } | null): Load {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const pastFrom = span?.from ?? null;
  const pastTo = span?.to ?? null;
  useEffect(() => {
    let cancelled = false;
    setLoad({ state: 'loading' });
    const run = () => {
      const to = pastTo ?? Date.now();
      const from = pastFrom ?? to - WINDOW_MS;
      const everyMs = pastFrom === null ? BUCKET_MS : bucketFor(to - from);
      fetchHistory(domain, id, { from, to, everyMs, fields: [field] })
        .then((history) => {
          if (!cancelled) setLoad({ state: 'ready', from: history.from, to: history.to, ...seriesOf(history, field) });
        })
        .catch(() => {
          if (!cancelled) setLoad((previous) => (previous.state === 'ready' ? previous : { state: 'error' }));
        });
    };
    run();
    const timer = pastFrom === null ? setInterval(run, REFRESH_MS) : undefined;
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, [domain, id, field, pastFrom, pastTo]);
  return load;
}

const NO_SUBSCRIPTION = () => () => {};

/** The replay window (not the playhead): re-renders only when the window itself changes. */
function usePastSpan(past: ReadonlyObservable<PastWindow> | undefined): { from: number; to: number } | null {
  const text = useSyncExternalStore(past?.subscribe ?? NO_SUBSCRIPTION, () => {
    const value = past?.get();
    return value ? `${value.from},${value.to}` : '';
  });
  return useMemo(() => {
    if (text === '') return null;
    const [from = 0, to = 0] = text.split(',').map(Number);
    return { from, to };
  }, [text]);
}

/** A uPlot plugin drawing a vertical line at the replay playhead (`at()` in ms), over the series. */
function playheadPlugin(at: () => number | null): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ms = at();
        if (ms === null) return;
        const x = Math.round(u.valToPos(ms / 1000, 'x', true));
        const { top, height, left, width } = u.bbox;
        if (x < left || x > left + width) return;
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = PLAYHEAD_COLOR;
        ctx.lineWidth = Math.max(2, Math.round(2 * devicePixelRatio));
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.restore();
      },
    },
  };
}

/**
 * One field as a line chart (uPlot): live, the last hour refreshed every 30 s; in replay, the replay
 * window with a line at the playhead that follows it.
 */
export function HistoryChart({
  domain,
  id,
  field,
  past,
}: {
  domain: string;
  id: string;
  field: string;
  past?: ReadonlyObservable<PastWindow> | undefined;
}) {
  const locale = useLocale();
  const span = usePastSpan(past);
  const load = useHistory(domain, id, field, span);
  const host = useRef<HTMLDivElement>(null);
  const [fontEpoch, setFontEpoch] = useState(0);
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
        plugins: past ? [playheadPlugin(() => past.get().at)] : [],
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
    const drawnFontPx = parseFloat(styles.fontSize);
    const resize = new ResizeObserver(() => {
      // The rem scale follows the screen (a desk moved to a 4K wall): axis text is set at creation, so draw anew.
      if (parseFloat(getComputedStyle(element).fontSize) !== drawnFontPx) setFontEpoch((epoch) => epoch + 1);
      else chart.setSize({ width: element.clientWidth, height: Math.max(140, Math.round(element.clientWidth * 0.45)) });
    });
    resize.observe(element);
    // The playhead moves without a new fetch: redraw the line only.
    let drawnAt = past?.get().at;
    const unfollow = past?.subscribe(() => {
      const at = past.get().at;
      if (at === drawnAt) return;
      drawnAt = at;
      chart.redraw(false);
    });
    return () => {
      unfollow?.();
      resize.disconnect();
      chart.destroy();
    };
  }, [load, field, locale, hasData, past, fontEpoch]);

  return (
    <div className="chart" data-state={load.state}>
      {load.state === 'loading' && <p className="chart__note">{t('inspector.loading')}</p>}
      {load.state === 'error' && <p className="chart__note chart__note--error">{t('inspector.historyError')}</p>}
      {load.state === 'ready' && !hasData && <p className="chart__note">{t('inspector.noHistory')}</p>}
      <div ref={host} className="chart__plot" />
    </div>
  );
}
