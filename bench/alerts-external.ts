// Suite 7: the alert engine benchmark lives in bench/alerts-engine.ts (written with the alert
// engine). This wrapper runs it as one of the suites when it is there, and reports its figures.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, Suite } from './support/context.js';
import { atLeast, type SuiteResult } from './support/report.js';

const FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'alerts-engine.ts');

/** The figures bench/alerts-engine.ts returns (only what this wrapper reads). */
interface AlertsFigures {
  rules: number;
  observations: number;
  engineObsPerSec: number;
  baselineObsPerSec: number;
  transitions: number;
}

type Runner = (options: { seconds?: number; runs?: number }) => AlertsFigures;

function isFigures(value: unknown): value is AlertsFigures {
  const v = value as Partial<AlertsFigures> | null;
  return typeof v?.engineObsPerSec === 'number' && typeof v.baselineObsPerSec === 'number';
}

/** Runs bench/alerts-engine.ts: through its exported runner when it has one, else as a command whose output is kept. */
async function run(ctx: BenchContext): Promise<SuiteResult> {
  const started = Date.now();
  const base = { id: 'alerts', title: '7. Alert engine (bench/alerts-engine.ts)', quick: ctx.quick };
  if (!existsSync(FILE))
    return { ...base, figures: [], notes: [], seconds: 0, skipped: 'bench/alerts-engine.ts is not there yet.' };
  const specifier = './alerts-engine.js';
  const mod = (await import(specifier)) as Record<string, unknown>;
  const runner = mod.runAlertsEngineBench as Runner | undefined;
  if (typeof runner === 'function') {
    const f = runner(ctx.quick ? { seconds: 2, runs: 1 } : {});
    if (isFigures(f)) {
      return {
        ...base,
        figures: [
          {
            name: `alert engine, ${f.rules} rules`,
            value: f.engineObsPerSec,
            unit: 'obs/s evaluated',
            baseline: { name: 'walk the batch, read every field', value: f.baselineObsPerSec },
            target: atLeast(f.engineObsPerSec, 50_000, '≥ 50 000 obs/s (the ingest target)'),
            note: `${f.transitions} fire/clear transitions per run`,
          },
        ],
        notes: [
          `${f.observations} observations per run, in process (no broker, no store); see bench/alerts-engine.ts for the method.`,
        ],
        seconds: (Date.now() - started) / 1000,
      };
    }
  }
  const child = spawnSync(process.execPath, ['--import', 'tsx', FILE, ...(ctx.quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const output = `${child.stdout}${child.stderr}`.trim();
  return {
    ...base,
    figures: [],
    notes: ['Output of `npx tsx bench/alerts-engine.ts`:', '```', output || `(no output; exit ${child.status})`, '```'],
    error: child.status === 0 ? undefined : `exited with ${child.status ?? child.signal}`,
    seconds: (Date.now() - started) / 1000,
  };
}

export const alertsSuite: Suite = { id: 'alerts', title: '7. Alert engine', run };
