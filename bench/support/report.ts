import { formatNumber } from './stats.js';

/** A target from docs/PERFORMANCE.md that a figure is held against (reported, never asserted). */
export interface Target {
  /** e.g. "≥ 50 000 obs/s". */
  text: string;
  met: boolean;
  /** How far off, e.g. "−38 %" or "2.1× over". */
  gap: string;
}

/** One measured figure, with the baseline measured in the same run on the same machine. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** `ratio` = value / baseline.value. */
  baseline?: { name: string; value: number };
  target?: Target;
  note?: string;
}

/** What one suite produced. */
export interface SuiteResult {
  id: string;
  title: string;
  figures: Figure[];
  /** Lines of analysis printed under the table (method, caveats, knee, hot spots). */
  notes: string[];
  /** Why the suite did not run, when it did not. */
  skipped?: string;
  /** Set when the suite failed part-way; the figures it got are still reported. */
  error?: string;
  seconds: number;
  quick: boolean;
}

/** "1.23×" (value / baseline), or an empty string without a baseline. */
export function ratioText(figure: Figure): string {
  if (!figure.baseline || figure.baseline.value === 0 || !Number.isFinite(figure.baseline.value)) return '';
  return `${formatNumber(figure.value / figure.baseline.value)}×`;
}

/** A target at least `min` (throughputs, ratios). */
export function atLeast(value: number, min: number, text: string): Target {
  const met = value >= min;
  return { text, met, gap: met ? `met (+${pct(value / min - 1)})` : `short by ${pct(1 - value / min)}` };
}

/** A target below `max` (latencies). */
export function below(value: number, max: number, text: string): Target {
  const met = value < max;
  return { text, met, gap: met ? `met (${pct(1 - value / max)} headroom)` : `${formatNumber(value / max)}× over` };
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The suite's figures as a GitHub markdown table. */
export function markdownTable(result: SuiteResult): string {
  const lines = ['| figure | value | baseline (same run) | ratio | target | gap |', '|---|---:|---|---:|---|---|'];
  for (const f of result.figures) {
    const base = f.baseline ? `${f.baseline.name}: ${formatNumber(f.baseline.value)}` : '';
    const name = f.note ? `${f.name} (${f.note})` : f.name;
    lines.push(
      `| ${cell(name)} | ${formatNumber(f.value)} ${f.unit} | ${cell(base)} | ${ratioText(f)} | ${cell(f.target?.text ?? '')} | ${cell(f.target?.gap ?? '')} |`,
    );
  }
  return lines.join('\n');
}

/** The suite's figures as an aligned plain-text table for the terminal. */
export function textTable(result: SuiteResult): string {
  const rows = result.figures.map((f) => [
    f.name,
    `${formatNumber(f.value)} ${f.unit}`,
    f.baseline ? `${f.baseline.name} ${formatNumber(f.baseline.value)}` : '',
    ratioText(f),
    f.target ? `${f.target.text}: ${f.target.gap}` : '',
  ]);
  const header = ['figure', 'value', 'baseline', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
