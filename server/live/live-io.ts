import type { Namespace, Server, Socket } from 'socket.io';
import type { ClientToServerEvents, LiveSocketData, ServerToClientEvents } from '../../contract/index.js';
import type { SnapshotPart, SnapshotPartRequest } from './snapshot-merge.js';

/** Events between the nodes of a cluster (through the Redis adapter); never seen by clients. */
export interface LiveInterServerEvents {
  /** Asks a node for its entities matching the request; it answers through the acknowledgement. */
  snapshotPart: (request: SnapshotPartRequest, ack: (part: SnapshotPart) => void) => void;
}

export type LiveIo = Server<ClientToServerEvents, ServerToClientEvents, LiveInterServerEvents, LiveSocketData>;
export type LiveNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, LiveInterServerEvents, LiveSocketData>;
export type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents, LiveInterServerEvents, LiveSocketData>;
