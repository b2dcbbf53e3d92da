import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeltaEncoding } from '../../contract/live-columns.js';
import type { LatencyHistogram } from './stats.js';
import type { Teardown } from './teardown.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** What client-child.ts is asked to do, one request at a time. */
export type ClientRequest =
  /** `encoding`: how the clients take their deltas (default `json`; the console takes `columns`). */
  | { type: 'connect'; baseUrl: string; token: string; light: number; full: number; encoding?: DeltaEncoding }
  /** Starts a measurement: only observations sent at or after `since` (wall-clock ms) are recorded. */
  | { type: 'measure'; since: number }
  | { type: 'collect' }
  | { type: 'close' };

export type ClientAnswer =
  | { type: 'ok' }
  /** Latency counts as [step, count] pairs, a step being 1 / stepPerMs ms. */
  /** `cpu`: the process's CPU since `measure`, in cores (CPU seconds per second). */
  | { type: 'samples'; steps: [number, number][]; stepPerMs: number; deltas: number; cpu: number }
  | { type: 'error'; message: string };

/** A process holding /live clients (see client-child.ts). */
export interface ClientProcess {
  /** The child's process id (undefined if it failed to start). */
  readonly pid: number | undefined;
  request(request: ClientRequest): Promise<ClientAnswer>;
  /** The latencies recorded since the last `measure`, added into `into`; resolves with the deltas received and the CPU used. */
  collect(into: LatencyHistogram): Promise<{ deltas: number; cpu: number }>;
  stop(): Promise<void>;
}

/** Forks client-child.ts (via tsx) and waits until it is ready. */
export async function startClientProcess(teardown: Teardown, name: string): Promise<ClientProcess> {
  const child: ChildProcess = fork(path.join(HERE, 'client-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const stop = teardown.child(name, child);
  let queue: Promise<unknown> = Promise.resolve();
  const once = (timeoutMs: number, send?: ClientRequest) =>
    new Promise<ClientAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${name} did not answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onMessage = (answer: ClientAnswer) => {
        cleanup();
        if (answer.type === 'error') reject(new Error(`${name}: ${answer.message}`));
        else resolve(answer);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`${name} exited with code ${code}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      if (send) child.send(send);
    });
  await once(20_000).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  // One request at a time: answers carry no id.
  const request = (r: ClientRequest) => {
    const next = queue.then(() => once(120_000, r));
    queue = next.catch(() => undefined);
    return next;
  };
  return {
    pid: child.pid,
    request,
    async collect(into) {
      const answer = await request({ type: 'collect' });
      if (answer.type !== 'samples') throw new Error(`${name}: expected samples, got ${answer.type}`);
      for (const [step, count] of answer.steps) {
        const ms = step / answer.stepPerMs;
        for (let i = 0; i < count; i++) into.record(ms);
      }
      return { deltas: answer.deltas, cpu: answer.cpu };
    },
    stop: async () => {
      if (child.connected) await request({ type: 'close' }).catch(() => undefined);
      await stop();
    },
  };
}
