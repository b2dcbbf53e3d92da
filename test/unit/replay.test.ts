import { describe, expect, it } from 'vitest';
import {
  ReplayFramesQuerySchema,
  RuleInputSchema,
  type Alert,
  type Observation,
  type ReplayFirstFrame,
  type ReplayFrame,
  type Rule,
} from '../../contract/index.js';
import {
  acknowledge,
  assign,
  conditionCleared,
  escalate,
  openAlert,
  resolve,
  snooze,
} from '../../server/alerts/lifecycle.js';
import { alertAt, alertTimeline, openAt } from '../../server/replay/alert-history.js';
import { buildOpenApi } from '../../server/http/openapi.js';
import { MinHeap } from '../../server/replay/min-heap.js';
import { REPLAY_ROUTES } from '../../server/replay/routes.js';
import { createReplayService, REPLAY_LOOKBACK_MS } from '../../server/replay/replay-service.js';
import type { LatestQueryOptions, ScanOptions } from '../../server/store/types.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
const RULE: Rule = {
  ...RuleInputSchema.parse({
    id: 'pm25-high',
    name: 'PM2.5 high',
    domain: 'sensor',
    condition: { field: 'pm25', op: '>', value: 100, clear: 80 },
    severity: 'info',
  }),
  id: 'pm25-high',
  enabled: true,
};
const DOMAINS = { sensor: { staleAfter: 60_000 }, traffic: { staleAfter: 30_000 } };
const ALL = { layers: ['sensor', 'traffic'] };

/** An in-memory telemetry store with the stores' latest() and scan() semantics. */
function memoryTelemetry(observations: Observation[]) {
  const sorted = [...observations].sort((a, b) => a.ts - b.ts);
  const scans: ScanOptions[] = [];
  const closed: boolean[] = [];
  return {
    scans,
    closed,
    latest(options: LatestQueryOptions = {}): Promise<Observation[]> {
      const at = options.at ?? Infinity;
      const byKey = new Map<string, Observation>();
      for (const o of sorted) {
        if (o.ts > at || (options.domains && !options.domains.includes(o.domain))) continue;
        const key = `${o.domain}/${o.id}`;
        const known = byKey.get(key);
        const merged: Observation = { ...(known ?? {}), ...o, fields: { ...known?.fields, ...o.fields } };
        if (o.lat === undefined && known?.lat !== undefined) Object.assign(merged, { lat: known.lat, lon: known.lon });
        byKey.set(key, merged);
      }
      const lookback = options.lookback ?? Infinity;
      return Promise.resolve([...byKey.values()].filter((o) => at - o.ts <= lookback));
    },
    async *scan(options: ScanOptions): AsyncIterable<Observation[]> {
      scans.push(options);
      const inWindow = sorted.filter(
        (o) => o.ts >= options.from && o.ts <= options.to && (!options.domains || options.domains.includes(o.domain)),
      );
      const size = options.chunkSize ?? 1000;
      closed.push(false);
      try {
        for (let i = 0; i < inWindow.length; i += size) {
          await Promise.resolve();
          yield inWindow.slice(i, i + size);
        }
      } finally {
        closed[closed.length - 1] = true;
      }
    },
  };
}

function serviceOver(observations: Observation[], alerts: Alert[] = []) {
  const telemetry = memoryTelemetry(observations);
  const service = createReplayService({
    telemetry,
    state: {
      loadAlerts: (since) => Promise.resolve(alerts.filter((a) => since === undefined || a.startedAt >= since)),
      loadAlertsOpenAt: (at, before) =>
        Promise.resolve(alerts.filter((a) => a.startedAt < before && (a.state !== 'resolved' || a.updatedAt > at))),
    },
    domains: DOMAINS,
  });
  return { service, telemetry };
}

async function collect(frames: AsyncIterable<ReplayFirstFrame | ReplayFrame>) {
  const lines: (ReplayFirstFrame | ReplayFrame)[] = [];
  for await (const f of frames) lines.push(f);
  return { first: lines[0] as ReplayFirstFrame, steps: lines.slice(1) as ReplayFrame[] };
}

describe('alert state at a past time, from its history', () => {
  // fire (info) at T0, escalate to warning +5s, assign +10s, ack +20s, snooze +30s until +90s, resolve +40s.
  const fired = openAlert('a1', RULE, 'S1', 150, T0, 21, 106);
  const escalated = escalate(fired, T0 + 5_000)!;
  const assigned = assign(escalated, 'team-north', 'lan', T0 + 10_000);
  const acked = acknowledge(assigned, 'lan', T0 + 20_000);
  const snoozed = snooze(acked, T0 + 90_000, 'lan', T0 + 30_000);
  const resolved = resolve(snoozed, 'minh', T0 + 40_000, 'fixed');

  it('rebuilds each version as it was', () => {
    expect(alertAt(resolved, T0 - 1)).toBeUndefined();
    expect(alertAt(resolved, T0)).toEqual(fired);
    expect(alertAt(resolved, T0 + 7_000)).toEqual(escalated);
    expect(alertAt(resolved, T0 + 15_000)).toEqual(assigned);
    expect(alertAt(resolved, T0 + 20_000)).toEqual(acked);
    expect(alertAt(resolved, T0 + 35_000)).toEqual(snoozed);
    expect(alertAt(resolved, T0 + 40_000)).toEqual(resolved);
    expect(alertAt(resolved, T0 + 10 ** 9)).toEqual(resolved);
  });

  it('says when it was open', () => {
    expect([T0 - 1, T0, T0 + 39_999, T0 + 40_000].map((t) => openAt(resolved, t))).toEqual([false, true, true, false]);
  });

  it('keeps a snoozed alert snoozed when its condition clears, and resolves an acknowledged one', () => {
    const clearedWhileSnoozed = conditionCleared(snooze(fired, T0 + 60_000, 'lan', T0 + 1_000), T0 + 2_000, 50);
    expect(alertAt(clearedWhileSnoozed, T0 + 2_000)?.state).toBe('snoozed');
    const clearedAcked = conditionCleared(acknowledge(fired, 'lan', T0 + 1_000), T0 + 2_000, 50);
    expect(alertAt(clearedAcked, T0 + 1_999)?.state).toBe('acknowledged');
    expect(alertAt(clearedAcked, T0 + 2_000)?.state).toBe('resolved');
  });

  it('lists lifecycle events in a window with the severity and state each left, oldest first', () => {
    const other = acknowledge(openAlert('a0', RULE, 'S2', 120, T0 + 10_000, null, null), 'an', T0 + 25_000);
    expect(alertTimeline([resolved, other], T0 + 5_000, T0 + 30_000)).toEqual([
      {
        at: T0 + 5_000,
        alertId: 'a1',
        ruleId: 'pm25-high',
        domain: 'sensor',
        entityId: 'S1',
        severity: 'warning',
        action: 'escalate',
        by: 'system',
        state: 'firing',
      },
      {
        at: T0 + 10_000,
        alertId: 'a0',
        ruleId: 'pm25-high',
        domain: 'sensor',
        entityId: 'S2',
        severity: 'info',
        action: 'fire',
        by: 'system',
        state: 'firing',
      },
      {
        at: T0 + 10_000,
        alertId: 'a1',
        ruleId: 'pm25-high',
        domain: 'sensor',
        entityId: 'S1',
        severity: 'warning',
        action: 'assign',
        by: 'lan',
        state: 'firing',
      },
      {
        at: T0 + 20_000,
        alertId: 'a1',
        ruleId: 'pm25-high',
        domain: 'sensor',
        entityId: 'S1',
        severity: 'warning',
        action: 'ack',
        by: 'lan',
        state: 'acknowledged',
      },
      {
        at: T0 + 25_000,
        alertId: 'a0',
        ruleId: 'pm25-high',
        domain: 'sensor',
        entityId: 'S2',
        severity: 'info',
        action: 'ack',
        by: 'an',
        state: 'acknowledged',
      },
      {
        at: T0 + 30_000,
        alertId: 'a1',
        ruleId: 'pm25-high',
        domain: 'sensor',
        entityId: 'S1',
        severity: 'warning',
        action: 'snooze',
        by: 'lan',
        state: 'snoozed',
      },
    ]);
  });
});

describe('replay state at a past time', () => {
  const observations: Observation[] = [
    { domain: 'sensor', id: 'S1', ts: T0, lat: 21, lon: 106, fields: { pm25: 10, noise: 50 } },
    { domain: 'sensor', id: 'S1', ts: T0 + 100_000, fields: { pm25: 20 } },
    { domain: 'traffic', id: 'T1', ts: T0 + 50_000, lat: 21.1, lon: 106.1, fields: { speed: 40 } },
    { domain: 'sensor', id: 'OLD', ts: T0 - REPLAY_LOOKBACK_MS - 1, fields: { pm25: 1 } },
  ];

  it('gives fields and position as they were, and stale against each domain limit', async () => {
    const { service } = serviceOver(observations);
    const state = await service.stateAt(T0 + 70_000, ALL);
    expect(state.at).toBe(T0 + 70_000);
    expect(state.entities).toEqual([
      { domain: 'sensor', id: 'S1', ts: T0, lat: 21, lon: 106, fields: { pm25: 10, noise: 50 }, status: 'stale' },
      { domain: 'traffic', id: 'T1', ts: T0 + 50_000, lat: 21.1, lon: 106.1, fields: { speed: 40 }, status: 'ok' },
    ]);
    // 60 s exactly is not yet stale for sensors.
    expect((await service.stateAt(T0 + 60_000, ALL)).entities.find((e) => e.id === 'S1')?.status).toBe('ok');
  });

  it('marks an entity with an alert open then as alert, and filters by layers and bbox', async () => {
    const alert = acknowledge(openAlert('a1', RULE, 'S1', 150, T0 + 1_000, 21, 106), 'lan', T0 + 2_000);
    const { service } = serviceOver(observations, [resolve(alert, 'lan', T0 + 200_000)]);
    const state = await service.stateAt(T0 + 150_000, { layers: ['sensor'], bbox: [105.9, 20.9, 106.05, 21.05] });
    expect(state.entities).toEqual([
      {
        domain: 'sensor',
        id: 'S1',
        ts: T0 + 100_000,
        lat: 21,
        lon: 106,
        fields: { pm25: 20, noise: 50 },
        status: 'alert',
      },
    ]);
    expect(state.alerts).toEqual([alert]);
    expect((await service.stateAt(T0 + 200_000, ALL)).alerts).toEqual([]);
  });
});

describe('replay frames', () => {
  it('starts with the state at from and sends only what changed in each step, from one scan', async () => {
    const observations: Observation[] = [
      { domain: 'sensor', id: 'S1', ts: T0, lat: 21, lon: 106, fields: { pm25: 10 } },
      { domain: 'traffic', id: 'T1', ts: T0, lat: 21, lon: 106, fields: { speed: 40 } },
      { domain: 'sensor', id: 'S1', ts: T0 + 15_000, fields: { pm25: 11 } },
      { domain: 'sensor', id: 'S2', ts: T0 + 25_000, lat: 21.5, lon: 106.5, fields: { pm25: 5 } },
    ];
    const alert = resolve(openAlert('a1', RULE, 'S2', 150, T0 + 35_000, 21.5, 106.5), 'lan', T0 + 45_000);
    const { service, telemetry } = serviceOver(observations, [alert]);
    const { first, steps } = await collect(service.frames(T0, T0 + 50_000, 10_000, ALL));

    expect(first).toEqual({ ts: T0, ...(await service.stateAt(T0, ALL)) });
    expect(steps.map((s) => s.ts)).toEqual([1, 2, 3, 4, 5].map((k) => T0 + k * 10_000));
    const summary = steps.map((s) => ({
      upserts: s.upserts.map((e) => `${e.id}:${e.status}:${e.fields.pm25 ?? e.fields.speed}`),
      removes: s.removes,
      alerts: s.alerts.map((a) => `${a.id}:${a.state}`),
    }));
    expect(summary).toEqual([
      { upserts: [], removes: [], alerts: [] },
      { upserts: ['S1:ok:11'], removes: [], alerts: [] },
      // T1 (traffic, 30 s) turns stale after T0 + 30 s.
      { upserts: ['S2:ok:5'], removes: [], alerts: [] },
      { upserts: ['T1:stale:40', 'S2:alert:5'], removes: [], alerts: ['a1:firing'] },
      { upserts: ['S2:ok:5'], removes: [], alerts: ['a1:resolved'] },
    ]);
    expect(telemetry.scans).toEqual([
      { from: T0 + 1, to: T0 + 50_000, domains: ['sensor', 'traffic'], chunkSize: 5000 },
    ]);
  });

  it('removes entities that leave the bbox and ends the last step at to', async () => {
    const observations: Observation[] = [
      { domain: 'sensor', id: 'S1', ts: T0, lat: 21, lon: 106, fields: { pm25: 10 } },
      { domain: 'sensor', id: 'S1', ts: T0 + 1_500, lat: 22, lon: 107, fields: { pm25: 10 } },
    ];
    const { service } = serviceOver(observations);
    const { first, steps } = await collect(
      service.frames(T0, T0 + 2_500, 1_000, { layers: ['sensor'], bbox: [105, 20, 106.5, 21.5] }),
    );
    expect(first.entities.map((e) => e.id)).toEqual(['S1']);
    expect(steps.map((s) => [s.ts, s.upserts.length, s.removes])).toEqual([
      [T0 + 1_000, 0, []],
      [T0 + 2_000, 0, ['sensor/S1']],
      [T0 + 2_500, 0, []],
    ]);
  });
});

describe('replay frames read lazily', () => {
  it('reads the scan chunk by chunk and closes it when the reader stops early', async () => {
    const observations: Observation[] = Array.from({ length: 12_000 }, (_, k) => ({
      domain: 'sensor',
      id: `S${k % 100}`,
      ts: T0 + 1 + k * 10,
      lat: 21,
      lon: 106,
      fields: { v: k },
    }));
    const { service, telemetry } = serviceOver(observations);
    const frames = service.frames(T0, T0 + 120_000, 1_000, ALL);
    const seen: ReplayFrame[] = [];
    for await (const frame of frames) {
      if ('upserts' in frame) seen.push(frame);
      if (seen.length === 3) break;
    }
    // 100 observations per second: each frame upserts the 100 entities that reported in it.
    expect(seen.map((f) => f.upserts.length)).toEqual([100, 100, 100]);
    expect(seen[2]!.upserts.find((e) => e.id === 'S0')?.fields.v).toBe(200);
    expect(telemetry.closed).toEqual([true]);
  });
});

describe('replay query limits', () => {
  const parse = (q: Record<string, string>) => ReplayFramesQuerySchema.safeParse(q);
  const paths = (q: Record<string, string>) => {
    const result = parse(q);
    return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
  };

  it('names the bad key', () => {
    expect(paths({ from: String(T0), to: String(T0 + 60_000), step: '1s' })).toEqual([]);
    expect(paths({ from: String(T0), to: String(T0), step: '1s' })).toEqual(['to']);
    expect(paths({ from: String(T0), to: String(T0 + 32 * 86_400_000), step: '1h' })).toEqual(['to']);
    expect(paths({ from: String(T0), to: String(T0 + 100_001), step: '1ms' })).toEqual(['step']);
    expect(paths({ from: String(T0), to: String(T0 + 100_000), step: '1ms' })).toEqual([]);
    expect(paths({ from: String(T0), to: String(T0 + 60_000), step: 'soon' })).toEqual(['step']);
  });
});

describe('replay route specs', () => {
  it('document their query keys in OpenAPI, for the history.read permission', () => {
    const doc = buildOpenApi(REPLAY_ROUTES, { version: 'test' }) as {
      paths: Record<string, { get: { parameters?: { name: string }[] } }>;
    };
    const params = Object.fromEntries(
      Object.entries(doc.paths).map(([p, v]) => [p, v.get.parameters?.map((x) => x.name)]),
    );
    expect(params).toEqual({
      '/api/v1/replay/state': ['at', 'layers', 'bbox'],
      '/api/v1/replay/frames': ['from', 'to', 'step', 'layers', 'bbox'],
      '/api/v1/replay/alerts': ['from', 'to'],
    });
    expect(new Set(REPLAY_ROUTES.map((r) => r.access))).toEqual(new Set(['history.read']));
  });
});

describe('min heap', () => {
  it('pops in key order', () => {
    const heap = new MinHeap<string>();
    const keys = [5, 3, 9, 1, 7, 3, 0, 8];
    keys.forEach((k) => heap.push(k, `v${k}`));
    const out: string[] = [];
    while (heap.size > 0) out.push(heap.pop()!);
    expect(out).toEqual([...keys].sort((a, b) => a - b).map((k) => `v${k}`));
  });
});
