// Suite 7: the alert engine benchmark lives in bench/alerts-engine.ts (written with the alert
// engine). This wrapper runs it as one of the suites when it is there, and reports its figures.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, Suite } from './support/context.js';
import { atLeast, type Figure, type SuiteResult } from './support/report.js';

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'alerts-engine.ts');

type Runner = (options: { seconds?: number; runs?: number }) => unknown;

/** A rate as bench/alerts-engine.ts reports it: a number, or `{ wall, cpu }` per second. */
function rate(value: unknown): { wall: number; cpu?: number } | undefined {
  if (typeof value === 'number') return { wall: value };
  const r = value as { wall?: unknown; cpu?: unknown } | null;
  if (typeof r?.wall !== 'number') return undefined;
  return { wall: r.wall, cpu: typeof r.cpu === 'number' ? r.cpu : undefined };
}

/** Reads the figures whatever the version of bench/alerts-engine.ts (older ones used flat numbers). */
function figuresOf(result: unknown): Figure[] | undefined {
  const r = result as Record<string, unknown> | null;
  const engine = rate(r?.engine ?? r?.engineObsPerSec);
  const baseline = rate(r?.baseline ?? r?.baselineObsPerSec);
  if (!r || !engine || !baseline) return undefined;
  const rules = typeof r.rules === 'number' ? r.rules : Number.NaN;
  const transitions = typeof r.transitions === 'number' ? `${r.transitions} fire/clear transitions per run` : undefined;
  const figures: Figure[] = [
    {
      name: `alert engine, ${rules} rules (wall clock)`,
      value: engine.wall,
      unit: 'obs/s',
      baseline: { name: 'walk the batch, read every field', value: baseline.wall },
      note: transitions,
    },
  ];
  if (engine.cpu !== undefined) {
    figures.push({
      name: `alert engine, ${rules} rules (per second of CPU)`,
      value: engine.cpu,
      unit: 'obs/s',
      baseline: baseline.cpu === undefined ? undefined : { name: 'same walk, CPU', value: baseline.cpu },
      target: atLeast(engine.cpu, 50_000, '≥ 50 000 obs/s (the ingest goal)'),
    });
  }
  return figures;
}

/** Runs bench/alerts-engine.ts: through its exported runner when it has one, else as a command whose output is kept. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const base = { id: 'alerts', title: '7. Alert engine (bench/alerts-engine.ts)', quick: ctx.quick };
  if (!existsSync(FILE)) {
    return { ...base, figures: [], notes: [], seconds: 0, skipped: 'bench/alerts-engine.ts is not there yet.' };
  }
  // A computed specifier: the wrapper must not stop compiling when that file changes or goes away.
  const specifier = './alerts-engine.js';
  const mod = (await import(specifier)) as Record<string, unknown>;
  const runner = mod.runAlertsEngineBench as Runner | undefined;
  if (typeof runner === 'function') {
    const result = runner(ctx.quick ? { seconds: 2, runs: 1 } : {});
    const figures = figuresOf(result);
    const notes = figures
      ? ['In process (no broker, no store), 10 000 entities over the four domains; method in bench/alerts-engine.ts.']
      : ['Figures of `runAlertsEngineBench()`:', ['```', JSON.stringify(result, null, 2), '```'].join('\n')];
    return { ...base, figures: figures ?? [], notes, seconds: (Date.now() - started) / 1000 };
  }
  const child = spawnSync(process.execPath, ['--import', 'tsx', FILE, ...(ctx.quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const output = `${child.stdout}${child.stderr}`.trim();
  return {
    ...base,
    figures: [],
    notes: [
      'Output of `npx tsx bench/alerts-engine.ts`:',
      ['```', output || `(no output; exit ${child.status})`, '```'].join('\n'),
    ],
    error: child.status === 0 ? undefined : `exited with ${child.status ?? child.signal}`,
    seconds: (Date.now() - started) / 1000,
  };
}

export const alertsSuite: Suite = { id: 'alerts', title: '7. Alert engine', run };
