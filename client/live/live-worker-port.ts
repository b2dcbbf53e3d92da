// The browser's live port: the socket in a dedicated worker (client/live/live-worker.ts). Kept apart from
// live-client.ts so Node tests, which have no such worker, never load the `?worker` import.
import { inThreadPort } from './live-client.js';
import type { LiveEvent, LivePort } from './live-protocol.js';
import LiveWorker from './live-worker.ts?worker';

/** The socket in a dedicated worker; on the page itself in a browser without workers (same behaviour, slower at 100 k). */
export function liveWorkerPort(): LivePort {
  if (typeof Worker === 'undefined') return inThreadPort();
  const worker = new LiveWorker();
  return {
    post: (command) => worker.postMessage(command),
    listen: (onEvent) => {
      worker.onmessage = (event: MessageEvent<LiveEvent>) => onEvent(event.data);
    },
    terminate: () => worker.terminate(),
  };
}
