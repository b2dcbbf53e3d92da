// The cluster worker: supercluster's index is rebuilt and queried here, off the main thread, so a 100 k
// rebuild (a few hundred ms) never blocks input or frames. Loaded by map-view through vite's `?worker`.
import { createClusterHandler, type ClusterReply, type ClusterRequest } from './cluster-worker-protocol.js';

const scope = self as unknown as {
  onmessage: ((event: { data: ClusterRequest }) => void) | null;
  postMessage(message: ClusterReply, transfer: ArrayBuffer[]): void;
};
const handle = createClusterHandler((message, transfer) => scope.postMessage(message, transfer));
scope.onmessage = (event) => handle(event.data);
