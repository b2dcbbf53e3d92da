import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime from /proc (a process's stat counts all its threads; task/<pid>/stat the main thread alone); 0 once gone. */
export function cpuSeconds(file: string): number {
  try {
    const stat = readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds so far of a whole process (all its threads); 0 when unknown or gone. */
export function processCpuSeconds(pid: number | undefined): number {
  return pid === undefined ? 0 : cpuSeconds(`/proc/${pid}/stat`);
}

/** Nanoseconds a thread has spent on a CPU and waiting in the run queue for one (/proc/<pid>/task/<tid>/schedstat). */
export function threadSchedule(pid: number, tid = pid): { runNs: number; waitNs: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return { runNs: run ?? 0, waitNs: wait ?? 0 };
  } catch {
    return { runNs: 0, waitNs: 0 };
  }
}
