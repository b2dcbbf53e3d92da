// A worker that plays the server and its socket for the benchmark page: it builds each snapshot and delta
// and sends it as socket.io would hand it to the page (JSON text, and for columns the binary attachment
// beside it), so the page pays what the console pays for a message (JSON.parse, then the store) and not
// the cost of making the data, which belongs to the server.
import { HandleTable } from '../../client/live/handle-table.js';
import { encodeColumnDelta, readColumnDelta, type ColumnDelta } from '../../contract/live-columns.js';
import type { Delta, Snapshot } from '../../contract/live-events.js';
import { entityAt } from './entities.js';
import type { DeltaMessage, DeltaRequest } from './protocol.js';

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<DeltaRequest>) => void) | null;
  postMessage(message: DeltaMessage, transfer?: Transferable[]): void;
};

/** The live worker's numbering, as client/live/live-core.ts keeps it for one subscription. */
const table = new HandleTable();

scope.onmessage = (event) => {
  const { encoding, count, step, ts, part, parts } = event.data;
  const entities = [];
  // Part p of `parts` carries every parts-th entity, so `parts` deltas in a row update each entity once.
  for (let i = part; i < count; i += parts) entities.push(entityAt(i, step, ts));
  if (step === 0) {
    const snapshot: Snapshot = { ts, entities };
    if (encoding === 'worker') {
      // The live worker numbers the snapshot's entities and posts it as JSON text (client/live/live-core.ts).
      const handles = table.reset(snapshot.entities);
      scope.postMessage({ text: JSON.stringify(snapshot), snapshotHandles: handles }, [handles.buffer]);
      return;
    }
    scope.postMessage({ text: JSON.stringify(snapshot) });
    return;
  }
  const delta: Delta = { seq: step * parts + part, ts, upserts: entities, removes: [] };
  if (encoding === 'json') {
    scope.postMessage({ text: JSON.stringify(delta) });
    return;
  }
  const { numbers, ...rest } = encodeColumnDelta(delta);
  const bytes = numbers as Uint8Array;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  if (encoding === 'columns') {
    scope.postMessage({ text: JSON.stringify(rest), numbers: buffer }, [buffer]);
    return;
  }
  // What the live worker does with the socket.io message: parse, check, number its entities, post.
  const text = JSON.stringify(rest);
  const t0 = performance.now();
  const parsed = JSON.parse(text) as ColumnDelta;
  parsed.numbers = buffer;
  readColumnDelta(parsed);
  const resolved = table.resolve(parsed, buffer);
  const workerMs = performance.now() - t0;
  const transfer: Transferable[] = [buffer];
  for (const block of resolved.blocks) transfer.push(block.handles.buffer);
  scope.postMessage({ handles: resolved, workerMs }, transfer);
};
