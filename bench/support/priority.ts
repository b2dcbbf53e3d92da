// Niceness of the benchmark processes that stand in for other machines (the devices' publisher, the
// consoles). On 2 shared cores they would otherwise take the product's CPU, which a deployment's devices
// and browsers never do; at nice 10 they give way first when the cores are short.
import { setPriority } from 'node:os';
import type { BenchContext } from './context.js';

/**
 * `IOC_BENCH_LOAD_NICE` (0-19; 0 runs the load as the product's equal, as the first runs did). The soak's
 * older `IOC_BENCH_SOAK_NICE` is still read when the new name is unset.
 */
export function loadNice(): number {
  const value = Number(process.env.IOC_BENCH_LOAD_NICE ?? process.env.IOC_BENCH_SOAK_NICE ?? 10);
  return Number.isInteger(value) && value >= 0 && value <= 19 ? value : 10;
}

/** Sets a process's niceness; a failure only leaves it as it was (said in the log). */
export function setNice(ctx: BenchContext, pid: number | undefined, nice: number, name: string): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, nice);
  } catch (err) {
    ctx.log(`could not set the priority of ${name}: ${(err as Error).message}`);
  }
}
