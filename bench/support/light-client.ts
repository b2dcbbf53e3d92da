import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { BUILT_IN_DOMAINS, LIVE_NAMESPACE } from '../../contract/index.js';
import type { DeltaEncoding } from '../../contract/live-columns.js';

/** A /live subscriber that reads every frame but decodes none (see connectLightClient). */
export interface LightClient {
  frames: number;
  bytes: number;
  close(): void;
}

/** Bytes of a frame's payload kept for reading: enough for every handshake message's prefix and a ping. */
const PREFIX_BYTES = 32;

/** A masked client → server text frame (RFC 6455 §5.3: a client must mask). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
  return Buffer.concat([header, mask, payload]);
}

/**
 * A stand-in for a console on another machine: it speaks just enough of the websocket, engine.io
 * v4 and socket.io v5 protocols to join `/live` with an API token, subscribe to every layer and
 * answer pings, then counts frames without assembling or decoding them. It reads the TCP stream
 * itself and skips each frame's payload in place (a websocket library would copy every 250 kB delta
 * into one buffer first): the server does all its per-socket work, while the benchmark machine is
 * spared nearly all the client work a browser would do on its own CPU.
 */
export async function connectLightClient(
  baseUrl: string,
  token: string,
  encoding: DeltaEncoding = 'json',
  timeoutMs = 10_000,
): Promise<LightClient> {
  const url = new URL(baseUrl);
  const socket: Socket = connect(Number(url.port || 80), url.hostname);
  socket.setNoDelay(true);
  const client: LightClient = { frames: 0, bytes: 0, close: () => socket.end(textFrame('1')) };
  const nsp = LIVE_NAMESPACE;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('light client: no snapshot in time')), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', fail);
      socket.once('connect', () => {
        socket.write(
          `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
            `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      let upgraded = false;
      let head = Buffer.alloc(0);
      // Frame reader state: header bytes (a header may straddle two reads), then the payload left to skip.
      const header: number[] = [];
      let remaining = 0;
      let inPayload = false;
      let prefix = '';
      let subscribed = false;
      const onMessage = (text: string) => {
        if (text === '2') return socket.write(textFrame('3')); // engine.io ping → pong
        if (subscribed) return;
        if (text.startsWith('0{')) return socket.write(textFrame(`40${nsp},${JSON.stringify({ token })}`));
        if (text.startsWith(`44${nsp},`)) return fail(new Error(`light client refused: ${text}`));
        if (text.startsWith(`40${nsp},`))
          return socket.write(
            textFrame(`42${nsp},1${JSON.stringify(['subscribe', { layers: [...BUILT_IN_DOMAINS], encoding }])}`),
          );
        if (text.startsWith(`43${nsp},1`)) {
          subscribed = true;
          clearTimeout(timer);
          resolve();
        }
      };
      const headerSize = () => {
        const len7 = (header[1] ?? 0) & 0x7f;
        return len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
      };
      const readFrames = (data: Buffer) => {
        let at = 0;
        while (at < data.length) {
          if (inPayload) {
            const take = Math.min(remaining, data.length - at);
            if (prefix.length < PREFIX_BYTES)
              prefix += data.subarray(at, at + Math.min(take, PREFIX_BYTES - prefix.length)).toString('latin1');
            remaining -= take;
            at += take;
            if (remaining === 0) {
              inPayload = false;
              onMessage(prefix);
            }
            continue;
          }
          header.push(data[at++] ?? 0);
          if (header.length < 2 || header.length < headerSize()) continue;
          const len7 = (header[1] ?? 0) & 0x7f;
          let length = len7;
          if (len7 === 126) length = ((header[2] ?? 0) << 8) | (header[3] ?? 0);
          else if (len7 === 127) length = header.slice(2, 10).reduce((n, b) => n * 256 + b, 0);
          header.length = 0;
          client.frames += 1;
          client.bytes += length;
          prefix = '';
          if (length === 0) onMessage('');
          else {
            remaining = length;
            inPayload = true;
          }
        }
      };
      socket.on('data', (data: Buffer) => {
        if (upgraded) return readFrames(data);
        head = Buffer.concat([head, data]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.subarray(0, 12).toString().includes('101'))
          return fail(new Error(`light client: no upgrade: ${head.subarray(0, 80).toString()}`));
        upgraded = true;
        const rest = head.subarray(end + 4);
        head = Buffer.alloc(0);
        if (rest.length > 0) readFrames(rest);
      });
    });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return client;
}
