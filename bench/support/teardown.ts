import type { ChildProcess } from 'node:child_process';

type Step = { name: string; run: () => Promise<void> | void };

const STEP_TIMEOUT_MS = 15_000;

/**
 * Everything a benchmark starts registers its stop here; `runAll` stops it in reverse order, each
 * step bounded in time, whether the benchmark passed or failed. Child processes are also killed
 * synchronously on process exit as a last resort, so none outlives the runner.
 */
export class Teardown {
  private steps: Step[] = [];
  private readonly children = new Set<ChildProcess>();

  /** Registers a stop step; returns a function that runs it early (and only once). */
  add(name: string, run: () => Promise<void> | void): () => Promise<void> {
    let done: Promise<void> | undefined;
    const step: Step = {
      name,
      run: () => {
        done ??= Promise.resolve().then(run);
        return done;
      },
    };
    this.steps.push(step);
    return async () => {
      this.steps = this.steps.filter((s) => s !== step);
      await bounded(step);
    };
  }

  /** Tracks a child process: killed on teardown, and with SIGKILL if the runner exits first. */
  child(name: string, child: ChildProcess): () => Promise<void> {
    this.track(child);
    return this.add(name, () => stopChild(child));
  }

  /** Only the last-resort part: SIGKILL on exit for a process whose orderly stop is registered elsewhere. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  /** Stops everything registered, newest first; never throws. */
  async runAll(): Promise<void> {
    const steps = this.steps.reverse();
    this.steps = [];
    for (const step of steps) await bounded(step);
  }

  /** Sends SIGKILL to every tracked child that is still running (synchronous: safe in 'exit'). */
  killAllNow(): void {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}

async function bounded(step: Step): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      step.run(),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          console.error(`  teardown: '${step.name}' did not stop within ${STEP_TIMEOUT_MS} ms; moving on`);
          resolve();
        }, STEP_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    console.error(`  teardown: '${step.name}' failed: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
