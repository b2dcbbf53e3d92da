// The browser's live port: the socket in a dedicated worker (client/live/live-worker.ts). Kept apart from
// live-client.ts so Node tests, which have no such worker, never load the `?worker` import.
import type { LiveEvent, LivePort } from './live-protocol.js';
import LiveWorker from './live-worker.ts?worker';

export function liveWorkerPort(): LivePort {
  const worker = new LiveWorker();
  return {
    post: (command) => worker.postMessage(command),
    listen: (onEvent) => {
      worker.onmessage = (event: MessageEvent<LiveEvent>) => onEvent(event.data);
    },
    terminate: () => worker.terminate(),
  };
}
