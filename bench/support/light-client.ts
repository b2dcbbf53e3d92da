import WebSocket from 'ws';
import { BUILT_IN_DOMAINS, LIVE_NAMESPACE } from '../../contract/index.js';

/** A /live subscriber that reads every frame but decodes none (see connectLightClient). */
export interface LightClient {
  frames: number;
  bytes: number;
  close(): void;
}

/**
 * A stand-in for a console on another machine: it speaks just enough of the engine.io v4 /
 * socket.io v5 wire protocol to join `/live`, subscribe to every layer and answer pings, then
 * counts delta frames without parsing them. The server does all its per-socket work for it, while
 * the benchmark machine is spared the JSON decoding a real browser would do on its own CPU.
 */
export async function connectLightClient(baseUrl: string, timeoutMs = 10_000): Promise<LightClient> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const client: LightClient = { frames: 0, bytes: 0, close: () => ws.close() };
  const nsp = LIVE_NAMESPACE;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('light client: no snapshot in time')), timeoutMs);
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text === '2') return ws.send('3'); // engine.io ping → pong
        if (text.startsWith('0{')) return ws.send(`40${nsp},`);
        if (text.startsWith(`40${nsp},`)) {
          return ws.send(`42${nsp},1${JSON.stringify(['subscribe', { layers: [...BUILT_IN_DOMAINS] }])}`);
        }
        if (text.startsWith(`43${nsp},1`)) {
          clearTimeout(timer);
          return resolve();
        }
        client.frames += 1;
        client.bytes += data.length;
      });
    });
  } catch (err) {
    ws.terminate();
    throw err;
  }
  return client;
}
