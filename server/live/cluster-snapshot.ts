import {
  columnDeltaEntities,
  type ApiError,
  type Bbox,
  type ColumnDelta,
  type Delta,
  type DeltaEncoding,
  type Entity,
} from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { LiveNamespace, LiveSocket } from './live-io.js';
import type { LiveState } from './live-state.js';
import {
  collectPart,
  createSnapshotMerge,
  SnapshotPartRequestSchema,
  type EntityQuery,
  type SnapshotPart,
  type SnapshotPartRequest,
} from './snapshot-merge.js';

/**
 * How long a snapshot waits for the other nodes. Give the Redis adapter the same `requestsTimeout`: it
 * then hands over the parts that did arrive when one node is silent.
 */
export const CLUSTER_REQUEST_TIMEOUT_MS = 2000;
/** Past the adapter's own timeout, the wait ends even if the adapter never calls back (Redis unreachable). */
const GUARD_MARGIN_MS = 500;

/** The entities matching a query across the cluster; `partial` when some node did not answer in time. */
export interface ClusterEntities {
  entities: Entity[];
  partial?: ApiError;
}

export interface ClusterSnapshots {
  /** Merges this node's entities with every other node's; with `socket`, folds in deltas it got meanwhile. */
  gather(query: EntityQuery, socket?: LiveSocket): Promise<ClusterEntities>;
}

export interface ClusterSnapshotOptions {
  nsp: LiveNamespace;
  live: LiveState;
  /** Called when another node's socket joins a group, so this node sends that group deltas from now on. */
  followGroup(layers: string[], bbox?: Bbox, encoding?: DeltaEncoding): void;
  timeoutMs?: number;
  logger: Logger;
}

interface RemoteParts {
  parts: SnapshotPart[];
  missing?: string;
}

function isPart(value: unknown): value is SnapshotPart {
  const part = value as Partial<SnapshotPart> | null;
  return typeof part === 'object' && part !== null && Array.isArray(part.entities) && Array.isArray(part.outside);
}

/** Answers other nodes' snapshot requests and gathers snapshots across the cluster. */
export function createClusterSnapshots(options: ClusterSnapshotOptions): ClusterSnapshots {
  const { nsp, live, logger } = options;
  const timeoutMs = options.timeoutMs ?? CLUSTER_REQUEST_TIMEOUT_MS;

  nsp.on('snapshotPart', (request: unknown, ack: unknown) => {
    if (typeof ack !== 'function') return;
    const answer = ack as (part: SnapshotPart) => void;
    const parsed = SnapshotPartRequestSchema.safeParse(request);
    if (!parsed.success) {
      logger.warn('ignored a malformed snapshot request from another node', { error: parsed.error.message });
      answer({ entities: [], outside: [] });
      return;
    }
    const { layers, bbox, followsDeltas, encoding } = parsed.data;
    if (followsDeltas && layers) options.followGroup(layers, bbox, encoding);
    answer(collectPart(live.all(), parsed.data));
  });

  const requestRemoteParts = (request: SnapshotPartRequest): Promise<RemoteParts> =>
    new Promise((resolve) => {
      let settled = false;
      const settle = (result: RemoteParts) => {
        if (settled) return;
        settled = true;
        clearTimeout(guard);
        resolve(result);
      };
      const guard = setTimeout(
        () => settle({ parts: [], missing: `no answer from the cluster within ${timeoutMs + GUARD_MARGIN_MS} ms` }),
        timeoutMs + GUARD_MARGIN_MS,
      );
      nsp.serverSideEmit('snapshotPart', request, (err: Error | null, responses: SnapshotPart[] | undefined) => {
        const parts = (responses ?? []).filter(isPart);
        settle(err ? { parts, missing: err.message } : { parts });
      });
    });

  return {
    async gather(query, socket) {
      const seen: Delta[] = [];
      const record = (event: string, delta: unknown) => {
        if (event === 'delta') seen.push(delta as Delta);
        else if (event === 'deltaColumns') {
          const columns = delta as ColumnDelta;
          seen.push({
            ts: columns.ts,
            seq: columns.seq,
            upserts: columnDeltaEntities(columns),
            removes: columns.removes,
          });
        }
      };
      socket?.onAnyOutgoing(record);
      try {
        const request: SnapshotPartRequest = {
          ...query,
          layers: query.layers && [...query.layers],
          followsDeltas: socket !== undefined,
          ...(socket?.data.encoding ? { encoding: socket.data.encoding } : {}),
        };
        const remote = await requestRemoteParts(request);
        // Local part last in time, first in order: it is the newest view of this node, and wins ties.
        const merge = createSnapshotMerge();
        for (const part of [collectPart(live.all(), query), ...remote.parts]) merge.addPart(part);
        merge.applyDeltas(seen);
        if (remote.missing === undefined) return { entities: merge.entities() };
        logger.warn('cluster snapshot without some nodes', { reason: remote.missing, answered: remote.parts.length });
        const message = `${remote.parts.length} other node(s) answered within ${timeoutMs} ms (${remote.missing}); entities only the others hold arrive when they change.`;
        return { entities: merge.entities(), partial: { code: 'cluster_timeout', message } };
      } finally {
        socket?.offAnyOutgoing(record);
      }
    },
  };
}
