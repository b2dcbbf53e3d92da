import WebSocket from 'ws';
import { BUILT_IN_DOMAINS, LIVE_NAMESPACE } from '../../contract/index.js';

/** A /live subscriber that reads every frame but decodes none (see connectLightClient). */
export interface LightClient {
  frames: number;
  bytes: number;
  close(): void;
}

/** Longest prefix of a frame the handshake needs to read. */
const PREFIX_BYTES = 32;

/**
 * A stand-in for a console on another machine: it speaks just enough of the engine.io v4 /
 * socket.io v5 wire protocol to join `/live` with an API token, subscribe to every layer and
 * answer pings, then counts delta frames without parsing them. Only a frame's first bytes are read
 * as text: the server does all its per-socket work for it, while the benchmark machine is spared
 * the decoding a real browser would do on its own CPU.
 */
export async function connectLightClient(baseUrl: string, token: string, timeoutMs = 10_000): Promise<LightClient> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const client: LightClient = { frames: 0, bytes: 0, close: () => ws.close() };
  const nsp = LIVE_NAMESPACE;
  let subscribed = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('light client: no snapshot in time')), timeoutMs);
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('message', (data: Buffer) => {
        if (data.length === 1 && data[0] === 0x32) return ws.send('3'); // engine.io ping → pong
        if (subscribed) {
          client.frames += 1;
          client.bytes += data.length;
          return;
        }
        const text = data.subarray(0, PREFIX_BYTES).toString();
        if (text.startsWith('0{')) return ws.send(`40${nsp},${JSON.stringify({ token })}`);
        if (text.startsWith(`44${nsp},`)) {
          clearTimeout(timer);
          return reject(new Error(`light client refused: ${data.toString().slice(0, 200)}`));
        }
        if (text.startsWith(`40${nsp},`)) {
          return ws.send(`42${nsp},1${JSON.stringify(['subscribe', { layers: [...BUILT_IN_DOMAINS] }])}`);
        }
        if (text.startsWith(`43${nsp},1`)) {
          subscribed = true;
          clearTimeout(timer);
          return resolve();
        }
      });
    });
  } catch (err) {
    ws.terminate();
    throw err;
  }
  return client;
}
