// Draws the soak run as a small SVG (no chart library: three line panels that GitHub renders inline).

/** One sample of the soak run. */
export interface SoakSample {
  /** Minutes since the load started. */
  minute: number;
  rss: number;
  heapUsed: number;
  /** Event-loop delay over the sample's window, ms. */
  loopP99: number;
  loopMax: number;
  /** Observations accepted but not yet written by the store. */
  backlog: number;
  /** Observations written per second over the window. */
  stored: number;
  /** CPU seconds per second over the window (all threads). */
  cpu: number;
  dropped: number;
  /** Observations offered at the target pace so far but not yet accepted (what the broker holds for us, about). */
  behind: number;
  /** Share of the machine's CPU time taken by the host for other machines over the window (0–1). */
  steal: number;
  /** Share of the machine's CPU time idle while waiting for the disk over the window (0–1). */
  iowait?: number | undefined;
  /** Share of the window the product's main thread spent runnable but waiting for a core (0–1). */
  mainWait?: number | undefined;
  /** CPU seconds per second over the window of the broker and of InfluxDB (undefined: not running here). */
  brokerCpu?: number | undefined;
  influxCpu?: number | undefined;
  /** Messages the broker held at its last $SYS report (undefined before the first). */
  brokerHeld?: number | undefined;
  /** Messages the broker dropped since the load started, at its last $SYS report. */
  brokerDropped?: number | undefined;
  /** Mean time of the write-ahead log's fdatasyncs over the window, ms (undefined: none ran). Acknowledgements wait for them. */
  walSyncMs?: number | undefined;
  /** Mean time from accepting a batch to the store confirming it written over the window, ms (undefined: none confirmed). */
  storeWriteMs?: number | undefined;
}

interface Series {
  label: string;
  colour: string;
  values: number[];
}

interface Panel {
  title: string;
  unit: string;
  series: Series[];
}

const WIDTH = 860;
const PANEL_HEIGHT = 150;
const LEFT = 70;
const RIGHT = 20;
const TOP = 52;
const GAP = 40;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round axis maximum at or above `max` (1, 2 or 5 times a power of ten). */
function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

const label = (value: number) =>
  value >= 100 ? Math.round(value).toString() : Number(value.toPrecision(2)).toString();

function panel(p: Panel, top: number, minutes: number[], span: number, warmup: number): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const max = niceMax(Math.max(0, ...p.series.flatMap((s) => s.values)));
  const x = (minute: number) => LEFT + (minute / span) * plotWidth;
  const y = (value: number) => top + PANEL_HEIGHT - (value / max) * PANEL_HEIGHT;
  const parts: string[] = [
    `<text x="${LEFT}" y="${top - 8}" font-size="14" font-weight="600">${escape(p.title)} (${escape(p.unit)})</text>`,
    `<rect x="${LEFT}" y="${top}" width="${((warmup / span) * plotWidth).toFixed(1)}" height="${PANEL_HEIGHT}" fill="#f1f3f5"/>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    parts.push(
      `<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#dee2e6"/>`,
      `<text x="${LEFT - 6}" y="${(y(value) + 4).toFixed(1)}" font-size="11" text-anchor="end">${label(value)}</text>`,
    );
  }
  p.series.forEach((s, i) => {
    const points = s.values.map((v, j) => `${x(minutes[j] ?? 0).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${points}" fill="none" stroke="${s.colour}" stroke-width="2"/>`,
      `<text x="${WIDTH - RIGHT - 4}" y="${top + 14 + i * 14}" font-size="11" text-anchor="end" fill="${s.colour}">${escape(s.label)}</text>`,
    );
  });
  return parts.join('\n');
}

/** The soak chart: memory, event-loop p99, backlogs and (when sampled) CPU against minutes, the warm-up shaded. */
export function soakChart(samples: readonly SoakSample[], options: { title: string; warmupMinutes: number }): string {
  const MB = 1024 * 1024;
  const minutes = samples.map((s) => s.minute);
  const span = Math.max(1 / 6, ...minutes);
  const panels: Panel[] = [
    {
      title: 'Memory',
      unit: 'MB',
      series: [
        { label: 'RSS', colour: '#1971c2', values: samples.map((s) => s.rss / MB) },
        { label: 'heap used', colour: '#2f9e44', values: samples.map((s) => s.heapUsed / MB) },
      ],
    },
    {
      title: 'Event-loop delay p99 per sample',
      unit: 'ms',
      series: [{ label: 'p99', colour: '#e8590c', values: samples.map((s) => s.loopP99) }],
    },
    {
      title: 'Backlog: accepted, not yet written; offered, not yet accepted',
      unit: 'observations',
      series: [
        { label: 'store backlog', colour: '#9c36b5', values: samples.map((s) => s.backlog) },
        { label: 'broker holds for the product', colour: '#1971c2', values: samples.map((s) => s.brokerHeld ?? 0) },
        { label: 'behind the offered pace (held, or the publisher late)', colour: '#e03131', values: samples.map((s) => s.behind) },
      ],
    },
  ];
  // Older sample sets have no CPU columns: the panel appears when they do.
  if (samples.some((s) => s.mainWait !== undefined)) {
    panels.push({
      title: 'CPU: who had the cores',
      unit: '% of a core',
      series: [
        { label: 'product (all threads)', colour: '#2f9e44', values: samples.map((s) => s.cpu * 100) },
        { label: 'influxd', colour: '#f08c00', values: samples.map((s) => (s.influxCpu ?? 0) * 100) },
        {
          label: "product's main thread waiting for a core (% of the time)",
          colour: '#e03131',
          values: samples.map((s) => (s.mainWait ?? 0) * 100),
        },
      ],
    });
  }
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP) + 20;
  const axisY = TOP + panels.length * (PANEL_HEIGHT + GAP) - GAP + 18;
  const ticks: string[] = [];
  const every = span > 20 ? 5 : span > 5 ? 1 : 0.5;
  for (let m = 0; m <= span + 1e-9; m += every) {
    const tx = LEFT + (m / span) * (WIDTH - LEFT - RIGHT);
    ticks.push(`<text x="${tx.toFixed(1)}" y="${axisY}" font-size="11" text-anchor="middle">${label(m)}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" fill="#212529">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="20" font-size="15" font-weight="700">${escape(options.title)}</text>`,
    ...panels.map((p, i) => panel(p, TOP + 10 + i * (PANEL_HEIGHT + GAP), minutes, span, options.warmupMinutes)),
    ...ticks,
    `<text x="${WIDTH - RIGHT}" y="${axisY + 14}" font-size="11" text-anchor="end">minutes (warm-up shaded)</text>`,
    '</svg>',
    '',
  ].join('\n');
}
