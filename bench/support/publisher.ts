import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadSpec } from './payloads.js';
import type { Teardown } from './teardown.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** A paced publishing job for publisher-child.ts. */
export interface PublishJob {
  type: 'publish';
  url: string;
  spec: LoadSpec;
  /** Messages per second. */
  rate: number;
  durationMs: number;
  qos: 0 | 1;
  /** Message number to start from (so successive jobs continue the entities' timelines). */
  firstSeq: number;
}

/** What a job did. */
export interface PublishReport {
  type: 'report';
  messages: number;
  observations: number;
  ms: number;
  /** Ticks at which the publisher was behind schedule by more than its burst limit (publisher-bound). */
  lateTicks: number;
}

/** A publisher process that runs one job at a time. */
export interface Publisher {
  /** The child's process id (undefined if it failed to start). */
  readonly pid: number | undefined;
  run(job: Omit<PublishJob, 'type'>): Promise<PublishReport>;
  stop(): Promise<void>;
}

/** Forks publisher-child.ts (via tsx) and waits until it is ready. */
export async function startPublisher(teardown: Teardown): Promise<Publisher> {
  const child = fork(path.join(HERE, 'publisher-child.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const stop = teardown.child('publisher', child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the publisher did not start within 20 s')), 20_000);
    child.once('message', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the publisher exited with code ${code}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return {
    pid: child.pid,
    run: (job) =>
      new Promise<PublishReport>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the publisher did not report in time')),
          job.durationMs + 30_000,
        );
        const onMessage = (message: PublishReport | { type: 'error'; message: string }) => {
          clearTimeout(timer);
          child.off('message', onMessage);
          if (message.type === 'report') resolve(message);
          else reject(new Error(`publisher: ${message.message}`));
        };
        child.on('message', onMessage);
        child.send({ ...job, type: 'publish' });
      }),
    stop: async () => {
      if (child.connected) child.send({ type: 'stop' });
      await stop();
    },
  };
}
