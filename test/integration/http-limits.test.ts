import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../contract/index.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

/** Opens a raw TCP connection to the product and resolves once it is connected. */
function rawConnection(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    // Flowing, so the server's answer and close are read and 'close' fires.
    socket.resume();
    socket.once('error', reject);
  });
}
const closed = (socket: net.Socket) => new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

describe('explicit limits on every HTTP door', () => {
  let product: TestIoc;

  beforeAll(async () => {
    product = await startTestIoc({ http: { headersTimeout: '1s', requestTimeout: '2s', maxConnections: 20 } });
  });
  afterAll(async () => {
    await product?.stop();
  });

  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('answers malformed percent-encoding in the path with 400 and the reason, not 500', async () => {
    const res = await product.api.fetch('/api/v1/entities/sensor/%E0%A4%A/history');
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/malformed percent-encoding/);
  });

  it('answers an unknown Content-Encoding with 415 on ingest and on the API', async () => {
    for (const path of ['/api/v1/ingest', '/api/v1/rules']) {
      const res = await product.api.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'zstd-x' }, body: '{}' });
      expect(res.status).toBe(415);
      const error = await errorOf(res);
      expect(error.code).toBe('unsupported_media_type');
      expect(error.message).toMatch(/zstd-x/);
    }
  });

  it('refuses a JSON body nested too deep before any schema walks it, and stays up', async () => {
    const depth = 20_000;
    const condition = '{"all":['.repeat(depth) + '{"field":"x","op":">","value":1}' + ']}'.repeat(depth);
    const body = `{"name":"deep","domain":"sensor","severity":"info","condition":${condition}}`;
    const res = await product.api.fetch('/api/v1/rules', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/nests deeper than 32 levels/);
    expect((await fetch(`${product.baseUrl}/healthz`)).status).toBe(200);
    // The ingest route reads its body raw: the same bound, before the parser, with the reason.
    const ingest = await fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '['.repeat(200_000) + ']'.repeat(200_000),
    });
    expect(ingest.status).toBe(400);
    expect(JSON.stringify(await ingest.json())).toContain('nested deeper than 32 levels');
    // A rule as deep as people write still goes through.
    let nested: unknown = { field: 'pm25', op: '>', value: 1 };
    for (let i = 0; i < 10; i++) nested = { all: [nested] };
    const ok = await product.api.fetch('/api/v1/rules', { method: 'POST', json: { name: 'nested', domain: 'sensor', severity: 'info', condition: nested } });
    expect(ok.status).toBe(201);
  });

  it('lists the first 100 refusals of a large batch and counts the rest', async () => {
    const items = Array.from({ length: 5000 }, (_, i) => ({ domain: 'sensor', id: `bad id ${i}`, fields: { pm25: 1 } }));
    const res = await product.api.fetch('/api/v1/ingest', { method: 'POST', json: items });
    expect(res.status).toBe(400);
    const body = (await res.json()) as IngestResult;
    expect(body.accepted).toBe(0);
    expect(body.rejected).toHaveLength(100);
    expect(body.rejected[99]?.index).toBe(99);
    expect(body.rejectedTotal).toBe(5000);
  });

  it('cuts off a client that trickles its headers (slowloris) after headersTimeout', async () => {
    const socket = await rawConnection(product.ioc.port);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    const started = Date.now();
    await closed(socket);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses connections beyond maxConnections, and serves again once they close', async () => {
    const sockets = await Promise.all(Array.from({ length: 30 }, () => rawConnection(product.ioc.port)));
    // Node closes the ones over the cap as soon as it accepts them.
    const refused = await Promise.all(
      sockets.map((socket) => Promise.race([closed(socket).then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500))])),
    );
    expect(refused.filter(Boolean).length).toBeGreaterThanOrEqual(10);
    for (const socket of sockets) socket.destroy();
    await Promise.all(sockets.map(closed));
    await waitFor(async () => (await fetch(`${product.baseUrl}/healthz`).catch(() => undefined))?.status === 200, 'serving again');
  });
});
