// Runs the product's composition root in its own process, so that the benchmark's clients and
// publishers never share its event loop. Started by product.ts with `--import tsx`; config
// overrides arrive as JSON in argv[2]. On request it records a V8 CPU profile (the same data as
// `node --cpu-prof`) over exactly the measured window, so start-up and module loading stay out of it.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../config/load.js';
import { silentLogger } from '../../config/logger.js';
import { startIoc, type RunningIoc } from '../../server/start-ioc.js';
import { mapProfileLines } from './profile-lines.js';

type ParentMessage =
  | { type: 'stop' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; file: string }
  | { type: 'loop-delay' }
  | { type: 'memory' };

const send = (message: unknown) => process.send?.(message);

async function main(): Promise<void> {
  const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  const config = loadConfig({ noFile: true, env: {}, overrides });
  const starting: Promise<RunningIoc | undefined> = startIoc(config, { logger: silentLogger });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await (await starting.catch(() => undefined))?.close();
    } finally {
      // A normal exit (not a signal) lets --cpu-prof write its profile.
      process.exit(code);
    }
  };
  // How long the product's event loop was blocked (what every timer, socket and request waits for).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let session: Session | undefined;
  const profile = async (message: ParentMessage) => {
    if (message.type === 'loop-delay') {
      const ms = (ns: number) => ns / 1e6;
      send({ type: 'loop-delay', p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) });
      loop.reset();
    } else if (message.type === 'memory') {
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
      send({ type: 'memory', rss, heapUsed, heapTotal, external, arrayBuffers });
    } else if (message.type === 'profile-start') {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
      // Where the garbage comes from: allocations sampled with the objects collected since, so the
      // profile shows allocation rate by function, not what happens to be alive at the end.
      if (process.env.IOC_BENCH_ALLOCATIONS === '1') {
        await session.post('HeapProfiler.startSampling', {
          samplingInterval: 16_384,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
      }
      send({ type: 'profile-started' });
    } else if (message.type === 'profile-stop' && session) {
      const { profile: data } = await session.post('Profiler.stop');
      if (process.env.IOC_BENCH_ALLOCATIONS === '1') {
        const { profile: allocations } = await session.post('HeapProfiler.stopSampling');
        writeFileSync(message.file.replace(/\.cpuprofile$/, '.heapprofile'), JSON.stringify(allocations));
      }
      await mapProfileLines(session, data);
      session.disconnect();
      session = undefined;
      writeFileSync(message.file, JSON.stringify(data));
      send({ type: 'profile-stopped', file: message.file });
    }
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') void stop(0);
    else profile(message).catch((err: Error) => send({ type: 'error', message: `profiler: ${err.message}` }));
  });
  process.on('SIGTERM', () => void stop(0));
  // The parent going away (crash, SIGKILL) must not leave the product running.
  process.on('disconnect', () => void stop(0));
  const ioc = await starting;
  send({ type: 'ready', port: ioc?.port });
}

main().catch((err: unknown) => {
  send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});
