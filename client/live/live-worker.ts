// The live worker: the console's socket, its parsing and the entity numbering run here, off the main
// thread (client/live/live-core.ts). Loaded by client/live/live-worker-port.ts through vite's `?worker`.
import { startLiveCore } from './live-core.js';
import type { LiveCommand, LiveEvent } from './live-protocol.js';

const scope = self as unknown as {
  onmessage: ((event: { data: LiveCommand }) => void) | null;
  postMessage(message: LiveEvent, transfer?: ArrayBuffer[]): void;
};
let handle: ((command: LiveCommand) => void) | undefined;
scope.onmessage = (event) => {
  const command = event.data;
  if (command.type === 'start') {
    handle ??= startLiveCore(command, (message, transfer) => scope.postMessage(message, transfer ?? []));
    return;
  }
  handle?.(command);
};
