// A worker that plays the server and its socket for the benchmark page: it builds each snapshot and delta
// and sends it as JSON text, so the page pays what the console pays for a socket.io message (JSON.parse,
// then the store) and not the cost of making the data, which belongs to the server.
import type { Delta, Snapshot } from '../../contract/live-events.js';
import { entityAt } from './entities.js';
import type { DeltaRequest } from './protocol.js';

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<DeltaRequest>) => void) | null;
  postMessage(message: string): void;
};

scope.onmessage = (event) => {
  const { count, step, ts, part, parts } = event.data;
  const entities = [];
  // Part p of `parts` carries every parts-th entity, so `parts` deltas in a row update each entity once.
  for (let i = part; i < count; i += parts) entities.push(entityAt(i, step, ts));
  const message: Snapshot | Delta =
    step === 0 ? { ts, entities } : { seq: step * parts + part, ts, upserts: entities, removes: [] };
  scope.postMessage(JSON.stringify(message));
};
