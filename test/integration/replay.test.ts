import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  RuleInputSchema,
  type Alert,
  type Entity,
  type ErrorBody,
  type Observation,
  type ReplayAlerts,
  type ReplayFirstFrame,
  type ReplayFrame,
  type ReplayState,
  type Rule,
} from '../../contract/index.js';
import { silentLogger } from '../../config/logger.js';
import { acknowledge, assign, openAlert, resolve } from '../../server/alerts/lifecycle.js';
import { errorHandler } from '../../server/http/errors.js';
import { createReplayRouter } from '../../server/replay/routes.js';
import { SqliteStateStore } from '../../server/state/sqlite-state.js';
import { EmbeddedStore } from '../../server/store/embedded.js';
import { InfluxStore } from '../../server/store/influx.js';
import type { TelemetryStore } from '../../server/store/types.js';
import { influxQuery, startInfluxd, uniqueName, type RunningService } from '../support/services.js';

// Aligned to the minute; every observation has its own timestamp (same series and time overwrite in InfluxDB).
const T0 = Date.UTC(2026, 1, 10, 9, 0, 0);
const S = 1000;
const A = { lat: 21.27, lon: 106.19 };
const B = { lat: 21.29, lon: 106.21 };
const DOMAINS = { sensor: { staleAfter: 60 * S }, traffic: { staleAfter: 30 * S } };
const RULE: Rule = {
  ...RuleInputSchema.parse({
    id: 'pm25-high',
    name: 'PM2.5 high',
    domain: 'sensor',
    condition: { field: 'pm25', op: '>', value: 100, clear: 80 },
    severity: 'warning',
  }),
  id: 'pm25-high',
  enabled: true,
};

// S1 reports at T0 (position A) and T0+100 s (position B, only pm25); S2 at T0-10 s without a
// position; T1 (traffic) at T0+50 s.
const OBSERVATIONS: Observation[] = [
  { domain: 'sensor', id: 'S2', ts: T0 - 10 * S, fields: { pm25: 5 } },
  { domain: 'sensor', id: 'S1', ts: T0, ...A, fields: { pm25: 10, noise: 50 } },
  { domain: 'traffic', id: 'T1', ts: T0 + 50 * S, ...B, fields: { speed: 40 } },
  { domain: 'sensor', id: 'S1', ts: T0 + 100 * S, ...B, fields: { pm25: 20 } },
];

// a1 on S1: fired T0+10 s, assigned and acknowledged T0+20 s, resolved T0+120 s.
const FIRED = openAlert('a1', RULE, 'S1', 150, T0 + 10 * S, A.lat, A.lon);
const ASSIGNED = assign(FIRED, 'team-north', 'lan', T0 + 20 * S);
const ACKED = acknowledge(ASSIGNED, 'lan', T0 + 20 * S, 'on my way');
const RESOLVED = resolve(ACKED, 'lan', T0 + 120 * S, 'filter replaced');
// a2 on S2 fired long before the window and is still open.
const OLD_OPEN = openAlert('a2', { ...RULE, severity: 'info' }, 'S2', 130, T0 - 3_600 * S, null, null);

interface Subject {
  telemetry: TelemetryStore;
  cleanup(): Promise<void>;
}

let influxd: RunningService;
beforeAll(async () => {
  influxd = await startInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
});

const STORES: Record<'embedded' | 'influx', () => Promise<Subject>> = {
  embedded: async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ioc-replay-'));
    const telemetry = new EmbeddedStore({ dataDir: dir, flushInterval: 10 });
    await telemetry.init();
    return {
      telemetry,
      cleanup: async () => {
        await telemetry.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  influx: async () => {
    const db = uniqueName('ioc_replay');
    const telemetry = new InfluxStore({
      url: influxd.url,
      db,
      batchSize: 5000,
      flushInterval: 20,
      maxBufferLines: 100_000,
    });
    await telemetry.init();
    return {
      telemetry,
      cleanup: async () => {
        await telemetry.close();
        await influxQuery(influxd.url, `DROP DATABASE "${db}"`);
      },
    };
  },
};

describe.each(['embedded', 'influx'] as const)('replay API over the %s store', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** A fresh telemetry database and state store holding the fixtures, behind the replay router on a free port. */
  async function start(alerts: Alert[] = [RESOLVED, OLD_OPEN]) {
    const subject = await STORES[kind]();
    cleanups.push(() => subject.cleanup());
    const dir = mkdtempSync(path.join(tmpdir(), 'ioc-replay-state-'));
    const state = new SqliteStateStore({ dataDir: dir });
    await state.init();
    cleanups.push(async () => {
      await state.close();
      rmSync(dir, { recursive: true, force: true });
    });
    subject.telemetry.write(OBSERVATIONS);
    await subject.telemetry.flush();
    await state.saveAlerts(alerts);

    const app = express();
    app.use(
      '/api/v1',
      createReplayRouter({ telemetry: subject.telemetry, state, config: { domains: DOMAINS }, logger: silentLogger }),
    );
    app.use(errorHandler(silentLogger));
    const server = await new Promise<Server>((resolveListen) => {
      const s = app.listen(0, '127.0.0.1', () => resolveListen(s));
    });
    cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const get = async (url: string) => {
      const res = await fetch(`${base}${url}`);
      return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
    };
    const getJson = async <T>(url: string) => {
      const res = await get(url);
      return { status: res.status, body: JSON.parse(res.text) as T };
    };
    return { get, getJson };
  }

  const sortById = (entities: Entity[]) => [...entities].sort((a, b) => (a.id < b.id ? -1 : 1));

  it('answers every entity as it was at a time between two observations, stale or ok by its domain', async () => {
    const { getJson } = await start([]);
    const { status, body } = await getJson<ReplayState>(`/replay/state?at=${T0 + 70 * S}`);
    expect(status).toBe(200);
    expect(body.at).toBe(T0 + 70 * S);
    expect(body.alerts).toEqual([]);
    expect(sortById(body.entities)).toEqual([
      // 70 s silent > 60 s: stale, with the fields and position of T0.
      { domain: 'sensor', id: 'S1', ts: T0, ...A, fields: { pm25: 10, noise: 50 }, status: 'stale' },
      { domain: 'sensor', id: 'S2', ts: T0 - 10 * S, lat: null, lon: null, fields: { pm25: 5 }, status: 'stale' },
      // 20 s silent <= 30 s: ok.
      { domain: 'traffic', id: 'T1', ts: T0 + 50 * S, ...B, fields: { speed: 40 }, status: 'ok' },
    ]);
    const later = await getJson<ReplayState>(`/replay/state?at=${new Date(T0 + 130 * S).toISOString()}&layers=sensor`);
    expect(sortById(later.body.entities).map((e) => [e.id, e.ts, e.fields, e.lat, e.status])).toEqual([
      ['S1', T0 + 100 * S, { pm25: 20, noise: 50 }, B.lat, 'ok'],
      ['S2', T0 - 10 * S, { pm25: 5 }, null, 'stale'],
    ]);
    const inBox = await getJson<ReplayState>(`/replay/state?at=${T0 + 130 * S}&bbox=106.2,21.28,106.22,21.3`);
    expect(inBox.body.entities.map((e) => e.id).sort()).toEqual(['S1', 'T1']);
  });

  it('answers the alerts open then, each in the state it had then', async () => {
    const { getJson } = await start();
    const at30 = await getJson<ReplayState>(`/replay/state?at=${T0 + 30 * S}`);
    expect(at30.body.alerts.sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual([ACKED, OLD_OPEN]);
    expect(at30.body.alerts[0]).toMatchObject({
      state: 'acknowledged',
      assignee: 'team-north',
      updatedAt: T0 + 20 * S,
    });
    expect(sortById(at30.body.entities).map((e) => [e.id, e.status])).toEqual([
      ['S1', 'alert'],
      ['S2', 'alert'],
    ]);
    const at15 = await getJson<ReplayState>(`/replay/state?at=${T0 + 15 * S}&layers=sensor`);
    expect(at15.body.alerts.find((a) => a.id === 'a1')).toEqual(FIRED);
    const at120 = await getJson<ReplayState>(`/replay/state?at=${T0 + 120 * S}`);
    expect(at120.body.alerts).toEqual([OLD_OPEN]);
    expect(at120.body.entities.find((e) => e.id === 'S1')?.status).toBe('ok');
  });

  it('answers alerts opened more than 30 days before, while they were still open', async () => {
    const day = 86_400 * S;
    // Still open; resolved only after the replayed moments; resolved long before them.
    const longOpen = openAlert('a3', RULE, 'S1', 140, T0 - 40 * day, A.lat, A.lon);
    const longResolved = resolve(openAlert('a4', RULE, 'S2', 160, T0 - 45 * day, null, null), 'lan', T0 + 60 * S);
    const ancient = resolve(openAlert('a5', RULE, 'S2', 170, T0 - 50 * day, null, null), 'lan', T0 - 35 * day);
    const { getJson } = await start([longOpen, longResolved, ancient]);
    const at30 = await getJson<ReplayState>(`/replay/state?at=${T0 + 30 * S}`);
    expect(at30.body.alerts.map((a) => [a.id, a.state]).sort()).toEqual([
      ['a3', 'firing'],
      ['a4', 'firing'],
    ]);
    expect(sortById(at30.body.entities).map((e) => [e.id, e.status])).toEqual([
      ['S1', 'alert'],
      ['S2', 'alert'],
    ]);
    const at90 = await getJson<ReplayState>(`/replay/state?at=${T0 + 90 * S}`);
    expect(at90.body.alerts.map((a) => a.id)).toEqual(['a3']);
  });

  it('streams the state at from, then exactly what changed in each step', async () => {
    const { get, getJson } = await start();
    const res = await get(`/replay/frames?from=${T0}&to=${T0 + 150 * S}&step=30s`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/x-ndjson/);
    const lines = res.text.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 5);
    const first = JSON.parse(lines[0]!) as ReplayFirstFrame;
    const state = await getJson<ReplayState>(`/replay/state?at=${T0}`);
    expect(first).toEqual({ ts: T0, ...state.body });
    expect(sortById(first.entities).map((e) => [e.id, e.status])).toEqual([
      ['S1', 'ok'],
      ['S2', 'alert'],
    ]);

    const frames = lines.slice(1).map((line) => JSON.parse(line) as ReplayFrame);
    expect(frames.map((f) => f.ts)).toEqual([30, 60, 90, 120, 150].map((s) => T0 + s * S));
    const changes = frames.map((f) => ({
      upserts: sortById(f.upserts).map((e) => `${e.id}:${e.status}`),
      removes: f.removes,
      alerts: f.alerts.map((a) => `${a.id}:${a.state}`),
    }));
    expect(changes).toEqual([
      // a1 fired and was acknowledged in (0, 30 s]: S1 shows the alert.
      { upserts: ['S1:alert'], removes: [], alerts: ['a1:acknowledged'] },
      // T1 reports at 50 s (S2 stays 'alert': its old alert is still open).
      { upserts: ['T1:ok'], removes: [], alerts: [] },
      // T1 silent 40 s > 30 s.
      { upserts: ['T1:stale'], removes: [], alerts: [] },
      // S1 reports at 100 s and a1 is resolved at 120 s.
      { upserts: ['S1:ok'], removes: [], alerts: ['a1:resolved'] },
      { upserts: [], removes: [], alerts: [] },
    ]);
    expect(frames[0]!.alerts).toEqual([ACKED]);
    expect(frames[3]!.upserts).toEqual([
      { domain: 'sensor', id: 'S1', ts: T0 + 100 * S, ...B, fields: { pm25: 20, noise: 50 }, status: 'ok' },
    ]);
    expect(frames[3]!.alerts).toEqual([RESOLVED]);
  });

  it('removes an entity that leaves the bbox', async () => {
    const { get } = await start([]);
    const res = await get(
      `/replay/frames?from=${T0}&to=${T0 + 120 * S}&step=1m&layers=sensor&bbox=106.18,21.26,106.2,21.28`,
    );
    const lines = res.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ReplayFrame & ReplayFirstFrame);
    expect(lines).toHaveLength(3);
    expect(lines[0]!.entities.map((e) => e.id)).toEqual(['S1']);
    expect(lines[1]!).toEqual({ ts: T0 + 60 * S, upserts: [], removes: [], alerts: [] });
    expect(lines[2]!).toEqual({ ts: T0 + 120 * S, upserts: [], removes: ['sensor/S1'], alerts: [] });
  });

  it('lists the alert lifecycle events in a window, oldest first', async () => {
    const { getJson } = await start();
    const { status, body } = await getJson<ReplayAlerts>(`/replay/alerts?from=${T0}&to=${T0 + 120 * S}`);
    expect(status).toBe(200);
    const common = { alertId: 'a1', ruleId: 'pm25-high', domain: 'sensor', entityId: 'S1', severity: 'warning' };
    expect(body.events).toEqual([
      { ...common, at: T0 + 10 * S, action: 'fire', by: 'system', state: 'firing' },
      { ...common, at: T0 + 20 * S, action: 'assign', by: 'lan', state: 'firing' },
      { ...common, at: T0 + 20 * S, action: 'ack', by: 'lan', state: 'acknowledged' },
      { ...common, at: T0 + 120 * S, action: 'resolve', by: 'lan', state: 'resolved' },
    ]);
    expect((await getJson<ReplayAlerts>(`/replay/alerts?from=${T0 + 121 * S}&to=${T0 + 200 * S}`)).body.events).toEqual(
      [],
    );
  });

  it('refuses bad queries with a 400 naming the key', async () => {
    const { getJson } = await start([]);
    const cases: [string, string][] = [
      [`/replay/frames?from=${T0}&to=${T0}&step=1s`, 'to'],
      [`/replay/frames?from=${T0 + S}&to=${T0}&step=1s`, 'to'],
      [`/replay/frames?from=${T0}&to=${T0 + 100_001 * S}&step=1s`, 'step'],
      [`/replay/frames?from=${T0}&to=${T0 + 32 * 86_400 * S}&step=1h`, 'to'],
      [`/replay/frames?from=${T0}&to=${T0 + 60 * S}&step=fast`, 'step'],
      [`/replay/frames?from=${T0}&to=${T0 + 60 * S}`, 'step'],
      [`/replay/frames?from=${T0}&to=${T0 + 60 * S}&step=1s&layers=weather`, 'layers'],
      [`/replay/state?at=yesterday`, 'at'],
      [`/replay/state?at=${T0}&bbox=1,2,3`, 'bbox'],
      [`/replay/state?at=${T0}&zoom=3`, 'query'],
      [`/replay/alerts?from=${T0}&to=${T0 - 1}`, 'to'],
    ];
    for (const [url, key] of cases) {
      const { status, body } = await getJson<ErrorBody>(url);
      expect({ url, status, code: body.error.code }).toEqual({ url, status: 400, code: 'bad_request' });
      expect(body.error.issues?.map((i) => i.path)).toContain(key);
    }
  });
});
