// The console's socket: connects to `/live`, subscribes, and turns what the server sends into LiveEvents
// for the main thread. In the browser it runs in the live worker (client/live/live-worker.ts), so parsing
// a large delta and looking up its entities never blocks a frame; in Node tests it runs in-thread.
import { io, type Socket } from 'socket.io-client';
import { readColumnDelta, type ColumnDelta } from '../../contract/live-columns.js';
import type { ClientToServerEvents, ServerToClientEvents, Snapshot } from '../../contract/live-events.js';
import { HandleTable } from './handle-table.js';
import type { ConnectionStatus, LiveCommand, LiveEvent } from './live-protocol.js';

/** How long a lost connection shows as "reconnecting" before the header says "offline". */
const OFFLINE_AFTER_MS = 10_000;
const SUBSCRIBE_TIMEOUT_MS = 15_000;
/** After a malformed delta the client asks for a fresh snapshot, at most this often (a broken server must not get one per delta). */
const REPAIR_INTERVAL_MS = 10_000;

type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type Emit = (event: LiveEvent, transfer?: ArrayBuffer[]) => void;

/** The attachment as an ArrayBuffer of its own, to transfer (a Node Buffer may be a view into a shared pool). */
function ownBuffer(numbers: ArrayBuffer | Uint8Array): ArrayBuffer {
  if (numbers instanceof ArrayBuffer) return numbers;
  return new Uint8Array(numbers).buffer;
}

/** Starts the socket for one `start` command; returns the handler for the commands that follow. */
export function startLiveCore(
  start: Extract<LiveCommand, { type: 'start' }>,
  emit: Emit,
  now: () => number = () => performance.now(),
): (command: LiveCommand) => void {
  let status: ConnectionStatus = { state: 'connecting' };
  const setStatus = (next: ConnectionStatus) => {
    status = next;
    emit({ type: 'status', status: next });
  };
  const socket: LiveSocket = io(start.url, { path: '/socket.io', transports: ['websocket', 'polling'] });
  const table = new HandleTable();
  let ready = false;
  let offlineTimer: ReturnType<typeof setTimeout> | undefined;
  let partialRetry: ReturnType<typeof setTimeout> | undefined;
  let lastRepair = Number.NEGATIVE_INFINITY;

  const clearOfflineTimer = () => {
    if (offlineTimer !== undefined) clearTimeout(offlineTimer);
    offlineTimer = undefined;
  };
  const lost = () => {
    if (status.state === 'offline') return;
    setStatus({ state: 'reconnecting' });
    offlineTimer ??= setTimeout(() => setStatus({ state: 'offline' }), OFFLINE_AFTER_MS);
  };

  const subscribe = () => {
    // Columns: a tenth of the JSON delta's decoding cost, and the store updates its entities in place.
    socket
      .timeout(SUBSCRIBE_TIMEOUT_MS)
      .emit('subscribe', { layers: start.layers, encoding: 'columns' }, (err: Error | null, snapshot: Snapshot) => {
        if (err) {
          // No answer in time: drop the connection so socket.io reconnects and we subscribe afresh.
          socket.disconnect().connect();
          return;
        }
        if (snapshot.error) {
          setStatus({ state: 'offline', error: snapshot.error.message });
          return;
        }
        const handles = table.reset(snapshot.entities);
        ready = true;
        emit({ type: 'snapshot', text: JSON.stringify(snapshot), handles }, [handles.buffer as ArrayBuffer]);
        clearOfflineTimer();
        clearTimeout(partialRetry);
        if (snapshot.partial) {
          setStatus({ state: 'live', partial: true });
          partialRetry = setTimeout(() => {
            if (socket.connected) subscribe();
          }, start.partialRetryMs);
        } else setStatus({ state: 'live' });
      });
  };
  /** A fresh snapshot puts the map right again; at most one per REPAIR_INTERVAL_MS. */
  const repair = (why: unknown) => {
    if (now() - lastRepair < REPAIR_INTERVAL_MS) return;
    lastRepair = now();
    console.error('dropped a malformed delta, subscribing again', why);
    subscribe();
  };

  socket.on('connect', subscribe);
  socket.on('delta', (delta) => {
    if (ready) emit({ type: 'delta', delta });
  });
  socket.on('deltaColumns', (delta: ColumnDelta) => {
    if (!ready) return;
    try {
      // Checked here, so a delta that does not add up never reaches the main thread or the numbering.
      readColumnDelta(delta);
    } catch (err) {
      repair(err);
      return;
    }
    const resolved = table.resolve(delta, ownBuffer(delta.numbers));
    const transfer: ArrayBuffer[] = [resolved.numbers];
    for (const block of resolved.blocks) transfer.push(block.handles.buffer as ArrayBuffer);
    emit({ type: 'handles', delta: resolved }, transfer);
  });
  socket.on('alert', (alert) => emit({ type: 'alert', alert }));
  socket.on('alertSummary', (batch) => emit({ type: 'alertSummary', batch }));
  socket.on('heartbeat', (beat) => emit({ type: 'heartbeat', beat }));
  socket.on('report', (report) => emit({ type: 'report', report }));
  socket.on('disconnect', (reason) => {
    lost();
    // The server closed us on purpose (restart, kick): socket.io does not retry that by itself.
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.on('connect_error', (err) => {
    lost();
    if (err.message === 'unauthorized') emit({ type: 'unauthorized' });
  });

  return (command) => {
    switch (command.type) {
      case 'offline':
        clearOfflineTimer();
        setStatus({ state: 'offline' });
        break;
      case 'repair':
        repair('the main thread could not apply it');
        break;
      case 'close':
        clearOfflineTimer();
        clearTimeout(partialRetry);
        socket.close();
        break;
      case 'start':
        break;
    }
  };
}
