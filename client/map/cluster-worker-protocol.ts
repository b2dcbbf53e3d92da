// The cluster worker's messages and its request handler. DOM-free: the worker entry (cluster-worker.ts)
// wires it to `self`, unit tests to an in-process port.
import { ClusterIndex, type RawClusterSet } from './clusters.js';

/** Entities to rebuild the index from before answering (transferred, not copied). */
export interface ClusterLoad {
  coords: Float64Array;
  worst: Uint8Array;
  count: number;
  radiusPx: number;
  maxZoom: number;
}

export type ClusterRequest =
  | { kind: 'query'; seq: number; load?: ClusterLoad; bbox: [number, number, number, number]; zoom: number }
  | { kind: 'expansion'; seq: number; clusterId: number };

export type ClusterReply =
  | {
      kind: 'set';
      seq: number;
      set: RawClusterSet;
      buildMs?: number;
      queryMs: number;
      /** The load's arrays, handed back once the index is built from them, for the next load to reuse. */
      returned?: { coords: Float64Array; worst: Uint8Array };
    }
  | { kind: 'expansion'; seq: number; zoom: number };

/** The main thread's side of the worker: `new Worker(…)` wrapped, or an in-process stand-in. */
export interface ClusterWorkerPort {
  post(request: ClusterRequest, transfer: ArrayBuffer[]): void;
  listen(onReply: (reply: ClusterReply) => void): void;
  terminate(): void;
}

/** Answers requests with one index: rebuild when a request carries entities, then query or expand. */
export function createClusterHandler(
  reply: (message: ClusterReply, transfer: ArrayBuffer[]) => void,
): (request: ClusterRequest) => void {
  let index: ClusterIndex | undefined;
  let options = { radiusPx: 0, maxZoom: 0 };
  return (request) => {
    if (request.kind === 'expansion') {
      reply({ kind: 'expansion', seq: request.seq, zoom: index ? index.expansionZoom(request.clusterId) : 0 }, []);
      return;
    }
    let buildMs: number | undefined;
    const { load } = request;
    if (load) {
      const t0 = performance.now();
      if (!index || load.radiusPx !== options.radiusPx || load.maxZoom !== options.maxZoom) {
        options = { radiusPx: load.radiusPx, maxZoom: load.maxZoom };
        index = new ClusterIndex(options);
      }
      index.loadArrays(load.coords, load.worst, load.count);
      buildMs = performance.now() - t0;
    }
    const t0 = performance.now();
    const set = index ? index.queryRaw(request.bbox, request.zoom) : undefined;
    const queryMs = performance.now() - t0;
    if (!set) return;
    // An empty set may be the shared constant: never detach its buffers.
    const transfer: ArrayBuffer[] =
      set.length === 0
        ? []
        : [set.positions, set.counts, set.worst, set.alerts, set.clusterIds, set.points].map(
            (array) => array.buffer as ArrayBuffer,
          );
    // The index copied what it needs: the load's arrays go back to be written over next time.
    if (load) transfer.push(load.coords.buffer as ArrayBuffer, load.worst.buffer as ArrayBuffer);
    reply(
      {
        kind: 'set',
        seq: request.seq,
        set,
        queryMs,
        ...(buildMs === undefined ? {} : { buildMs }),
        ...(load ? { returned: { coords: load.coords, worst: load.worst } } : {}),
      },
      transfer,
    );
  };
}
