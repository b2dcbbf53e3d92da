// /live clients in their own process, so that reading and decoding deltas never shares an event
// loop with the product or with the benchmark that drives it. Driven over IPC by client-procs.ts.
import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServerEvents,
  ColumnDelta,
  Delta,
  DeltaEncoding,
  ServerToClientEvents,
  Snapshot,
} from '../../contract/index.js';
import { BUILT_IN_DOMAINS, readColumnDelta } from '../../contract/index.js';
import type { ClientRequest, ClientAnswer } from './client-procs.js';
import { connectLightClient } from './light-client.js';
import { wallClockMs } from './stats.js';

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Latencies are kept as counts per 10 µs step: exact enough for the parent's HDR histogram (3 digits), small over IPC. */
const STEP_PER_MS = 100;

const closers: (() => void)[] = [];
let since = Number.POSITIVE_INFINITY;
let counts = new Map<number, number>();
let deltas = 0;
let cpuAtMeasure = process.cpuUsage();
let measuredAt = performance.now();

function record(delta: Delta, receivedAt: number): void {
  deltas += 1;
  for (const entity of delta.upserts) {
    const sentAt = entity.fields.sentAt;
    if (typeof sentAt !== 'number' || sentAt < since) continue;
    const step = Math.max(0, Math.round((receivedAt - sentAt) * STEP_PER_MS));
    counts.set(step, (counts.get(step) ?? 0) + 1);
  }
}

/** The same for a `deltaColumns` event: `sentAt` is read straight from its number column, as a console reads its columns. */
function recordColumns(delta: ColumnDelta, receivedAt: number): void {
  deltas += 1;
  for (const view of readColumnDelta(delta)) {
    const column = view.numeric[view.numericNames.indexOf('sentAt')];
    if (column === undefined) continue;
    for (const sentAt of column) {
      if (!(sentAt >= since)) continue;
      const step = Math.max(0, Math.round((receivedAt - sentAt) * STEP_PER_MS));
      counts.set(step, (counts.get(step) ?? 0) + 1);
    }
  }
}

/** A full socket.io client, decoding every delta as the console does. */
async function connectFull(baseUrl: string, token: string, encoding: DeltaEncoding, timeoutMs = 10_000): Promise<void> {
  const socket: LiveSocket = io(`${baseUrl}/live`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
    auth: { token },
  });
  closers.push(() => socket.disconnect());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  socket.on('delta', (delta) => record(delta, wallClockMs()));
  socket.on('deltaColumns', (delta) => recordColumns(delta, wallClockMs()));
  const snapshot = (await socket
    .timeout(timeoutMs)
    .emitWithAck('subscribe', { layers: [...BUILT_IN_DOMAINS], encoding })) as Snapshot;
  if (snapshot.error) throw new Error(`subscribe failed: ${snapshot.error.message}`);
}

async function handle(request: ClientRequest): Promise<ClientAnswer> {
  switch (request.type) {
    case 'connect': {
      // Light clients first, measuring ones last: those are served after every other socket of the room.
      for (let i = 0; i < request.light; i++) {
        const client = await connectLightClient(request.baseUrl, request.token, request.encoding ?? 'json');
        closers.push(() => client.close());
      }
      for (let i = 0; i < request.full; i++)
        await connectFull(request.baseUrl, request.token, request.encoding ?? 'json');
      return { type: 'ok' };
    }
    case 'measure':
      since = request.since;
      counts = new Map();
      deltas = 0;
      cpuAtMeasure = process.cpuUsage();
      measuredAt = performance.now();
      return { type: 'ok' };
    case 'collect': {
      const used = process.cpuUsage(cpuAtMeasure);
      const cpu = (used.user + used.system) / 1000 / (performance.now() - measuredAt);
      return { type: 'samples', steps: [...counts], stepPerMs: STEP_PER_MS, deltas, cpu };
    }
    case 'close':
      for (const close of closers.splice(0)) close();
      return { type: 'ok' };
  }
}

process.on('message', (request: ClientRequest) => {
  handle(request).then(
    (answer) => process.send?.(answer),
    (err: unknown) => process.send?.({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ok' });
