// Entry point of the embedded store's writer thread (a worker_thread started by embedded-writer-link.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { createEmbeddedWriter } from './embedded-write.js';
import type { WriterReport, WriterRequest, WriterSettings } from './embedded-writer-protocol.js';
import { errorMessage } from './types-logger.js';
import { backoffDelay, DEFAULT_RETRY } from './write-queue.js';

if (!parentPort) throw new Error('embedded-writer.ts runs only as a worker thread');
const port = parentPort;
const settings = workerData as WriterSettings;
const writer = createEmbeddedWriter(settings.file, settings.checkpointPages, settings.retention);
const queue: WriterRequest[] = [];
let attempts = 0;
let retryTimer: NodeJS.Timeout | undefined;
let idleTimer: NodeJS.Timeout | undefined;
let compactTimer: NodeJS.Timeout | undefined;
let closed = false;

const report = (message: WriterReport) => port.postMessage(message);

// Handles the request at the head of the queue; false when it must be retried later.
function handle(request: WriterRequest): boolean {
  if (request.type === 'close') {
    closed = true;
    clearTimeout(idleTimer);
    clearTimeout(compactTimer);
    checkpoint('TRUNCATE');
    writer.close();
    report({ type: 'closed' });
    port.close();
    return true;
  }
  try {
    writer.commit(request.seq, request.observations);
  } catch (err) {
    attempts += 1;
    const error = errorMessage(err);
    if (attempts < settings.maxAttempts) {
      report({ type: 'retrying', seq: request.seq, attempt: attempts, error });
      return false;
    }
    // A batch failing this often is given up (and counted) so one bad batch cannot wedge the store.
    attempts = 0;
    report({ type: 'dropped', seq: request.seq, count: request.observations.length, error });
    return true;
  }
  attempts = 0;
  report({ type: 'committed', seq: request.seq, count: request.observations.length });
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => checkpoint('PASSIVE'), settings.idleCheckpointMs);
  return true;
}

// Requests run strictly in order: a batch being retried holds back everything sent after it. The retry
// happens here, not in the store's WriteQueue, because batches must commit in the order of their
// numbers (the crash recovery trusts the last committed number); the schedule is the shared one.
function pump(): void {
  while (!retryTimer && queue.length > 0) {
    if (!handle(queue[0]!)) {
      retryTimer = setTimeout(
        () => {
          retryTimer = undefined;
          pump();
        },
        backoffDelay(attempts, DEFAULT_RETRY),
      );
      return;
    }
    queue.shift();
  }
}

function checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): void {
  try {
    writer.checkpoint(mode);
  } catch {
    // Housekeeping only: the data is committed in the WAL, and a later checkpoint folds it back.
  }
}

// Compaction runs here, between batches, in bounded passes: a pass that hit its bound runs again at
// once (after the batches that arrived meanwhile), otherwise the next one waits for the interval.
function compact(): void {
  compactTimer = undefined;
  if (closed) return;
  let more = false;
  try {
    const result = writer.compact(Date.now());
    if (result && (result.compacted > 0 || result.expired > 0)) {
      report({ type: 'compacted', compacted: result.compacted, expired: result.expired });
    }
    more = result?.more ?? false;
  } catch (err) {
    report({ type: 'compactFailed', error: errorMessage(err) });
  }
  const interval = settings.retention?.intervalMs ?? 0;
  compactTimer = setTimeout(compact, more ? 0 : interval);
  // Never what keeps the thread (or the process) alive.
  compactTimer.unref();
}

if (settings.retention?.enabled) compactTimer = setTimeout(compact, 0).unref();

port.on('message', (request: WriterRequest) => {
  queue.push(request);
  pump();
});
report({ type: 'ready', committedSeq: writer.committedSeq() });
