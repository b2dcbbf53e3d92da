import { closeSync, fdatasync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Observation } from '../../contract/index.js';
import type { TelemetryStore } from './types.js';
import { errorMessage, type StoreLogger } from './types-logger.js';

/*
 * Accepted observations are appended here before the broker gets its PUBACK or an HTTP sender its 202,
 * so a process killed mid-stream loses nothing it acknowledged: what the store had not written yet is
 * replayed from the log at the next start. Appends are gathered in memory and written with one
 * write (and one fdatasync) per commit: a commit per MQTT turn (up to 10 ms of messages) keeps the cost
 * per observation small (group commit). A segment is deleted once the store has flushed everything
 * handed to it before the segment was closed.
 */

export interface WriteAheadLogOptions {
  /** Directory of the segments (`<dataDir>/wal`). */
  dir: string;
  /** fdatasync each commit: survives a power cut, not only a killed process. */
  fsync: boolean;
  /** A segment is closed (and becomes deletable) past this size or age. */
  segmentBytes?: number;
  segmentMs?: number;
  clock?: () => number;
  /** Hears how long each fdatasync took, in seconds: a slow or contended disk shows here before anywhere else. */
  onSync?: (seconds: number) => void;
}

export interface WriteAheadLog {
  /** Buffers observations (not yet durable). */
  append(observations: readonly Observation[]): void;
  /** Makes everything appended so far durable: one write, one fdatasync. Synchronous, so an ack can follow. */
  commit(): void;
  /** Writes what was appended to the segment (one write, no fdatasync): in the log, not yet safe from a power cut. */
  write(): void;
  /**
   * Writes what was appended and calls `done` once it is durable. The fdatasync runs on libuv's thread pool, so
   * the event loop goes on meanwhile; commits that arrive while one is in flight share the next (group commit).
   * Callbacks run in the order of their calls.
   */
  sync(done: (err?: Error) => void): void;
  /** Called after the pipeline handed committed observations to the store: closes a full or old segment and deletes flushed ones. */
  afterDeliver(): void;
  /** Commits, waits for the store and deletes every segment (clean shutdown). */
  close(): Promise<void>;
  stats(): { segments: number; committedBytes: number; commits: number };
}

const SEGMENT_PATTERN = /^(\d{12})\.wal$/;
const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;
const DEFAULT_SEGMENT_MS = 2000;
const REPLAY_CHUNK = 5000;

function segmentName(seq: number): string {
  return `${String(seq).padStart(12, '0')}.wal`;
}

function listSegments(dir: string): number[] {
  return readdirSync(dir)
    .map((name) => SEGMENT_PATTERN.exec(name)?.[1])
    .filter((seq): seq is string => seq !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Replays the segments left by a process that did not shut down cleanly into the store, waits until the
 * store has written them, then deletes them. Returns how many observations were replayed. A line (one commit)
 * torn by a power cut (the last one of a segment, never acknowledged) is skipped and counted.
 */
export async function replayWriteAheadLog(dir: string, store: TelemetryStore, logger: StoreLogger): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const segments = listSegments(dir);
  if (segments.length === 0) return 0;
  let replayed = 0;
  let torn = 0;
  for (const seq of segments) {
    const text = readFileSync(path.join(dir, segmentName(seq)), 'utf8');
    let chunk: Observation[] = [];
    for (const line of text.split('\n')) {
      if (line === '') continue;
      try {
        // A line is one commit's observations (an array); older logs held one observation per line.
        const entry = JSON.parse(line) as Observation | Observation[];
        if (Array.isArray(entry)) for (const obs of entry) chunk.push(obs);
        else chunk.push(entry);
      } catch {
        torn += 1;
        continue;
      }
      if (chunk.length >= REPLAY_CHUNK) {
        replayed += replayChunk(store, chunk);
        chunk = [];
      }
    }
    replayed += replayChunk(store, chunk);
  }
  await store.flush();
  for (const seq of segments) rmSync(path.join(dir, segmentName(seq)), { force: true });
  logger.warn('replayed the write-ahead log of an unclean shutdown', { observations: replayed, segments: segments.length, torn });
  return replayed;
}

/** Writes what the store does not hold yet (a row committed just before the crash is not written twice). */
function replayChunk(store: TelemetryStore, chunk: Observation[]): number {
  const fresh = store.unstored ? store.unstored(chunk) : chunk;
  store.write(fresh);
  return fresh.length;
}

/** Opens a fresh segment after the ones on disk (call replayWriteAheadLog first). */
export function openWriteAheadLog(store: TelemetryStore, options: WriteAheadLogOptions, logger: StoreLogger): WriteAheadLog {
  const clock = options.clock ?? Date.now;
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  const segmentMs = options.segmentMs ?? DEFAULT_SEGMENT_MS;
  mkdirSync(options.dir, { recursive: true });
  let nextSeq = (listSegments(options.dir).at(-1) ?? 0) + 1;
  let fd = -1;
  let seq = 0;
  let openedAt = 0;
  let bytes = 0;
  // References until the commit serialises them as one line: one JSON.stringify per commit, not per observation.
  let pending: Observation[] = [];
  // Segments closed and waiting for the store's flush before they may go.
  let closed: number[] = [];
  let flushing = false;
  let commits = 0;
  let committedBytes = 0;
  // The asynchronous fdatasync: whether one is in flight, who waits for the next, and segments closed meanwhile.
  let syncing = false;
  let waiting: ((err?: Error) => void)[] = [];
  let retired: number[] = [];
  const idle: (() => void)[] = [];

  const open = () => {
    seq = nextSeq++;
    fd = openSync(path.join(options.dir, segmentName(seq)), 'a');
    // The new file's directory entry must be durable too, or a power cut could lose the whole segment.
    if (options.fsync) syncDir(options.dir);
    openedAt = clock();
    bytes = 0;
  };

  const write = () => {
    if (pending.length === 0) return;
    if (fd < 0) open();
    // The string goes to writeSync as it is: encoding it in C++ spares a Buffer per commit (0.3-0.4 µs an
    // observation of the main thread at full ingest rate, measured in isolation).
    const text = `${JSON.stringify(pending)}\n`;
    pending = [];
    const length = Buffer.byteLength(text, 'utf8');
    const written = writeSync(fd, text, null, 'utf8');
    if (written < length) {
      // A short write (rare on a regular file): the rest goes as bytes.
      const data = Buffer.from(text, 'utf8');
      let offset = written;
      while (offset < data.length) offset += writeSync(fd, data, offset);
    }
    bytes += length;
    committedBytes += length;
    commits += 1;
  };

  const commit = () => {
    write();
    if (options.fsync && fd >= 0) {
      const started = performance.now();
      fdatasyncSync(fd);
      options.onSync?.((performance.now() - started) / 1000);
    }
  };

  const startSync = () => {
    if (syncing || waiting.length === 0) return;
    const callbacks = waiting;
    waiting = [];
    if (fd < 0) {
      // Nothing was ever written: nothing to wait for.
      for (const done of callbacks) done();
      return;
    }
    syncing = true;
    const started = performance.now();
    fdatasync(fd, (err) => {
      syncing = false;
      options.onSync?.((performance.now() - started) / 1000);
      // Segments closed while this ran could only be closed now (closing an fd under fdatasync is a race).
      for (const old of retired) closeSync(old);
      retired = [];
      for (const done of callbacks) done(err ?? undefined);
      startSync();
      if (!syncing) for (const resolve of idle.splice(0)) resolve();
    });
  };

  const sync = (done: (err?: Error) => void) => {
    try {
      write();
    } catch (err) {
      done(err as Error);
      return;
    }
    if (!options.fsync) {
      done();
      return;
    }
    waiting.push(done);
    startSync();
  };

  /** Closes the current segment; what waits for a sync on it is made durable first. */
  const closeSegment = () => {
    if (options.fsync && (syncing || waiting.length > 0)) fdatasyncSync(fd);
    if (syncing) retired.push(fd);
    else closeSync(fd);
    fd = -1;
    closed.push(seq);
  };

  const deleteFlushed = () => {
    if (flushing || closed.length === 0) return;
    flushing = true;
    const ready = closed;
    closed = [];
    // Every observation of these segments was handed to the store before this flush began.
    store.flush().then(
      () => {
        for (const s of ready) rmSync(path.join(options.dir, segmentName(s)), { force: true });
        flushing = false;
        if (closed.length > 0) deleteFlushed();
      },
      (err: unknown) => {
        closed = [...ready, ...closed];
        flushing = false;
        logger.warn('write-ahead log kept: the store did not flush', { error: errorMessage(err) });
      },
    );
  };

  return {
    append(observations) {
      for (const obs of observations) pending.push(obs);
    },
    commit,
    write,
    sync,
    afterDeliver() {
      if (fd < 0) return;
      if (bytes < segmentBytes && clock() - openedAt < segmentMs) return;
      closeSegment();
      deleteFlushed();
    },
    async close() {
      commit();
      if (syncing) await new Promise<void>((resolve) => idle.push(resolve));
      if (fd >= 0) closeSegment();
      await store.flush();
      for (const s of closed) rmSync(path.join(options.dir, segmentName(s)), { force: true });
      closed = [];
    },
    stats: () => ({ segments: closed.length + (fd >= 0 ? 1 : 0), committedBytes, commits }),
  };
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
