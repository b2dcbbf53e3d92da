import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

// POST /api/v1/ingest status codes and per-item rejection (wire contract v1), plus REST validation.
describe('HTTP ingest and REST', () => {
  let product: TestIoc;
  const token = 'test-token-123456';

  beforeAll(async () => {
    product = await startTestIoc({ mqtt: { port: 0 }, ingest: { tokens: [token], maxPayloadBytes: 4096, allowLoopback: false } });
  });
  afterAll(async () => {
    await product?.stop();
  });

  const post = (body: string, type: string, query = '', auth = true) =>
    fetch(`${product.baseUrl}/api/v1/ingest${query}`, {
      method: 'POST',
      headers: { 'content-type': type, ...(auth ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  it('needs a token when loopback ingest is off: a config token or an API token with scope ingest', async () => {
    const res = await post('[]', 'application/json', '', false);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const item = JSON.stringify({ domain: 'sensor', id: 'token-1', ts: Date.now() - 1000, fields: { waiting: 1 } });
    const withScope = async (scopes: ('ingest' | 'read')[]) =>
      fetch(`${product.baseUrl}/api/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await product.api.createToken(scopes)}` },
        body: item,
      });
    expect((await withScope(['ingest'])).status).toBe(202);
    const readOnly = await withScope(['read']);
    expect(readOnly.status).toBe(403);
    expect(((await readOnly.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const wrong = await fetch(`${product.baseUrl}/api/v1/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer test-token-123457' }, body: item });
    expect(wrong.status).toBe(401);
  });

  it('accepts the good items of a mixed JSON array and names the bad ones', async () => {
    const ts = Date.now() - 1000;
    const res = await post(
      JSON.stringify([
        { domain: 'queue', id: 'q-1', ts, fields: { waiting: 14 } },
        { domain: 'queue', fields: { waiting: 1 } },
        { domain: 'queue', id: 'q-2', ts: new Date(ts).toISOString(), fields: { avgWait: 12.5 } },
        { domain: 'nope', id: 'x', fields: { a: 1 } },
      ]),
      'application/json',
    );
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; error: string }[] };
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => r.index)).toEqual([1, 3]);
    expect(body.rejected[0]?.error).toMatch(/id/);
    expect(body.rejected[1]?.error).toMatch(/unknown domain/i);
    await waitFor(async () => {
      const r = (await (await product.api.fetch(`/api/v1/entities?domain=queue`)).json()) as { entities: unknown[] };
      return r.entities.length === 2;
    }, 'two queue entities');
  });

  it('accepts line protocol with a precision and SenML with ?domain=', async () => {
    const s = Math.floor(Date.now() / 1000) - 5;
    const line = await post(`queue,id=q-3 waiting=3i,open=true ${s}`, 'text/plain', '?precision=s');
    expect(line.status).toBe(202);
    expect(((await line.json()) as { accepted: number }).accepted).toBe(1);
    const senml = await post(JSON.stringify([{ bn: 'q-4:', n: 'waiting', v: 8 }]), 'application/senml+json', '?domain=queue');
    expect(senml.status).toBe(202);
    const noDomain = await post(JSON.stringify([{ bn: 'q-4:', n: 'waiting', v: 8 }]), 'application/senml+json');
    expect(noDomain.status).toBe(400);
  });

  it('answers 400 when nothing was valid, 413 when too large, 415 for unknown types', async () => {
    const bad = await post('{"domain":"queue","id":"q","fields":{"w":"x".repeat(5)}', 'application/json');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { accepted: number }).accepted).toBe(0);
    const big = await post(JSON.stringify({ domain: 'queue', id: 'q', fields: { s: 'x'.repeat(5000) } }), 'application/json');
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const xml = await post('<x/>', 'application/xml');
    expect(xml.status).toBe(415);
  });

  it('validates REST query parameters with a clear error', async () => {
    const badBbox = await product.api.fetch(`/api/v1/entities?bbox=1,2,3`);
    expect(badBbox.status).toBe(400);
    expect(((await badBbox.json()) as { error: { message: string } }).error.message).toMatch(/bbox/);
    const badEvery = await product.api.fetch(`/api/v1/entities/queue/q-1/history?every=soon`);
    expect(badEvery.status).toBe(400);
    expect(((await badEvery.json()) as { error: { message: string } }).error.message).toMatch(/every/);
    const unknown = await product.api.fetch(`/api/v1/nothing`);
    expect(unknown.status).toBe(404);
  });

  it('downsamples history with every=', async () => {
    const base = Math.floor((Date.now() - 600_000) / 60_000) * 60_000;
    const items = Array.from({ length: 6 }, (_, i) => ({ domain: 'queue', id: 'q-9', ts: base + i * 20_000, fields: { waiting: i * 10 } }));
    expect((await post(JSON.stringify(items), 'application/json')).status).toBe(202);
    const body = await waitFor(async () => {
      const r = (await (
        await product.api.fetch(`/api/v1/entities/queue/q-9/history?from=${base}&to=${base + 119_999}&every=1m`)
      ).json()) as { points: { ts: number; fields: { waiting: number } }[] };
      return r.points.length === 2 ? r : undefined;
    }, 'two one-minute buckets');
    expect(body.points).toEqual([
      { ts: base, fields: { waiting: 10 } },
      { ts: base + 60_000, fields: { waiting: 40 } },
    ]);
  });
});
