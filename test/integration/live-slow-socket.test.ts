import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket as NetSocket } from 'node:net';
import { fetchMetrics } from '../support/auth.js';
import { connectLive, startTestIoc, type LiveRecorder, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';

// README promise: "a slow client gets the latest state per entity when it catches up, never a growing queue".
describe('sockets that stop reading', () => {
  const ENTITIES = 300;
  const FIELDS = 40;
  let product: TestIoc;
  let slow: LiveRecorder;
  let slow2: LiveRecorder;
  /** Lags too, but takes its deltas as columns: its catch-up is encoded in its own group's encoding. */
  let slowColumns: LiveRecorder;
  let healthy: LiveRecorder;

  beforeAll(async () => {
    product = await startTestIoc();
    [slow, slow2, slowColumns, healthy] = await Promise.all([
      connectLive(product.baseUrl, product.api),
      connectLive(product.baseUrl, product.api),
      connectLive(product.baseUrl, product.api),
      connectLive(product.baseUrl, product.api),
    ]);
    await Promise.all([slow, slow2, healthy].map((r) => r.subscribe({ layers: ['sensor'] })));
    await slowColumns.subscribe({ layers: ['sensor'], encoding: 'columns' });
  });

  afterAll(async () => {
    slow?.close();
    slow2?.close();
    slowColumns?.close();
    healthy?.close();
    await product?.stop();
  });

  /** One round: every entity gets `round` in every field, so a delta is a few hundred kB. */
  async function publishRound(round: number): Promise<void> {
    const observations = Array.from({ length: ENTITIES }, (_, i) => ({
      domain: 'sensor',
      id: `slow-${i}`,
      lat: 21.27 + i / 10_000,
      lon: 106.19,
      fields: Object.fromEntries(Array.from({ length: FIELDS }, (_, f) => [`f${f}`, round * 1000 + f])),
    }));
    const response = await product.api.fetch('/api/v1/ingest', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(observations),
    });
    expect(response.status).toBe(202);
    expect(((await response.json()) as { accepted: number }).accepted).toBe(ENTITIES);
  }

  const lagging = async () =>
    Number(/ioc_live_lagging_sockets (\d+)/.exec(await fetchMetrics(product.baseUrl))?.[1] ?? 0);
  const roundSeen = (recorder: LiveRecorder, round: number) =>
    recorder.entities.size === ENTITIES && [...recorder.entities.values()].every((e) => e.fields.f0 === round * 1000);

  it('skips them while they lag, then sends each the latest value of every entity once, while other sockets keep up', async () => {
    // Stop reading at the TCP level: the server's send buffers fill and engine.io starts queueing. Two sockets
    // of one group lag together, so they may share one debt and one catch-up.
    const tcpOf = (recorder: LiveRecorder) =>
      (recorder.socket.io.engine.transport as unknown as { ws: { _socket: NetSocket } }).ws._socket;
    const paused = [slow, slow2, slowColumns].map(tcpOf);
    for (const tcp of paused) tcp.pause();

    let round = 0;
    // Keep publishing until the server sees the socket as lagging (bounded: a few MB of deltas fill loopback buffers).
    await waitFor(
      async () => {
        round += 1;
        await publishRound(round);
        await waitFor(() => roundSeen(healthy, round), `round ${round} on the healthy socket`, 10_000);
        return (await lagging()) >= 3;
      },
      'the three paused sockets counted as lagging',
      60_000,
      0,
    );
    const roundsBeforeLagging = round;
    const roundsWhileLagging = 5;
    for (let i = 0; i < roundsWhileLagging; i++) {
      round += 1;
      await publishRound(round);
      // The healthy socket is not held back by the slow one.
      await waitFor(() => roundSeen(healthy, round), `round ${round} on the healthy socket`, 10_000);
    }
    const laggards = [slow, slow2, slowColumns];
    const deltasBeforeResume = laggards.map((recorder) => recorder.deltas.length);

    for (const tcp of paused) tcp.resume();
    for (const [k, recorder] of laggards.entries()) {
      await waitFor(
        () => roundSeen(recorder, round),
        `the latest round (${round}) on caught-up socket ${k + 1}`,
        30_000,
      );
      for (const entity of recorder.entities.values()) {
        for (let f = 0; f < FIELDS; f++) expect(entity.fields[`f${f}`]).toBe(round * 1000 + f);
      }
    }
    await waitFor(async () => (await lagging()) === 0, 'no socket lagging after they caught up', 10_000);

    for (const [k, recorder] of laggards.entries()) {
      // What the kernel and engine.io had queued before the server noticed arrives as it was; the rounds
      // published while it lagged arrive coalesced, as at most two deltas, not one per round.
      const deltasAfterResume = recorder.deltas.length - (deltasBeforeResume[k] ?? 0);
      expect(deltasAfterResume).toBeLessThanOrEqual(roundsBeforeLagging + 2);
      expect(deltasAfterResume).toBeLessThan(round);
      // The catch-up carries the latest value only: no delta after the last one holding round `round` repeats an older round.
      const lastOld = recorder.deltas.findLastIndex((d) => d.upserts.some((e) => e.fields.f0 !== round * 1000));
      const firstLatest = recorder.deltas.findIndex((d) => d.upserts.some((e) => e.fields.f0 === round * 1000));
      expect(lastOld).toBeLessThan(firstLatest);
    }
  });
});
