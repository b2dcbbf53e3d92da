import { afterEach, describe, expect, it, vi } from 'vitest';
import { ObservationInputSchema, parseTopic, type ObservationInput } from '../../contract/index.js';
import { createSimulator, MAX_ENTITIES, aqiFromPm25, type SimulatorOptions } from '../../simulator/index.js';
import { CENTRE, createPath, distanceM, distanceToPath, outAndBack } from '../../simulator/geo.js';
import { BUS_ROUTES } from '../../simulator/places.js';

type Obs = ObservationInput & { ts: number; lat: number; lon: number };
type Message = [topic: string, payload: string];

// Local time in Bắc Giang is UTC+7: 2025-03-12 (a Wednesday) at the given local hour.
const local = (hour: number, minute = 0): number => Date.UTC(2025, 2, 12, hour - 7, minute);
const MINUTE = 60_000;

function capture() {
  const messages: Message[] = [];
  const posted: ObservationInput[] = [];
  return {
    messages,
    posted,
    transport: {
      publish: (topic: string, payload: string) => void messages.push([topic, payload]),
      postHttp: (obs: ObservationInput[]) => Promise.resolve(void posted.push(...obs)),
    },
  };
}

/** Splits a line-protocol section at unescaped `sep`, outside double quotes. */
function splitLine(text: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      cur += text[++i] ?? '';
    } else if (c === sep && !quoted) {
      parts.push(cur);
      cur = '';
    } else {
      if (c === '"') quoted = !quoted;
      cur += c;
    }
  }
  return [...parts, cur];
}

function decodeLine(line: string): unknown {
  const [head = '', fieldText = '', time = ''] = splitLine(line, ' ');
  const [domain, ...tagPairs] = splitLine(head, ',');
  const tags = Object.fromEntries(tagPairs.map((p) => p.split('=') as [string, string]));
  const fields: Record<string, unknown> = {};
  for (const pair of splitLine(fieldText, ',')) {
    const [k = '', v = ''] = pair.split(/=(.*)/s);
    fields[k] = v.startsWith('"') ? v.slice(1, -1) : v === 'true' || v === 'false' ? v === 'true' : Number(v);
  }
  const { id, ...rest } = tags;
  const { lat, lon, ...values } = fields;
  if (!/^\d{19}$/.test(time)) throw new Error(`not a ns timestamp: ${time}`);
  return { domain, id, ts: Number(BigInt(time) / 1_000_000n), lat, lon, fields: values, tags: rest };
}

function decodeSenml(domain: string, id: string, records: Record<string, unknown>[]): unknown {
  const fields: Record<string, unknown> = {};
  for (const r of records) fields[r.n as string] = r.v ?? r.vb ?? r.vs;
  const { lat, lon, ...values } = fields;
  return { domain, id, ts: Math.round((records[0]?.bt as number) * 1000), lat, lon, fields: values };
}

/** Decodes any payload the simulator publishes (JSON object, SenML, JSON array, line protocol) and validates it. */
function decode([topic, payload]: Message): Obs[] {
  const where = parseTopic(topic);
  if (!where) throw new Error(`topic ${topic} is not under city/`);
  const { domain, id } = where;
  let items: unknown[];
  if (id !== undefined) {
    const parsed = JSON.parse(payload) as unknown;
    if (Array.isArray(parsed)) items = [decodeSenml(domain, id, parsed as Record<string, unknown>[])];
    else {
      const { ts, lat, lon, tags, ...fields } = parsed as Record<string, unknown>;
      items = [{ domain, id, ts, lat, lon, tags, fields }];
    }
  } else if (payload.startsWith('[')) items = JSON.parse(payload) as unknown[];
  else items = payload.split('\n').map(decodeLine);
  return items.map((item) => {
    const obs = ObservationInputSchema.parse(item) as Obs;
    if (obs.domain !== domain) throw new Error(`${obs.id} of ${obs.domain} published on ${topic}`);
    return obs;
  });
}

/** Decodes every message, or only those that may hold one of `ids` (then keeps only their observations). */
function decodeAll(messages: readonly Message[], ids?: readonly string[]): Obs[] {
  if (!ids) return messages.flatMap(decode);
  const wanted = messages.filter(([t, p]) => ids.some((id) => t.endsWith(`/${id}`) || p.includes(id)));
  return wanted.flatMap(decode).filter((o) => ids.includes(o.id));
}

function simulator(options: Partial<SimulatorOptions> = {}) {
  const cap = capture();
  const sim = createSimulator({
    rate: 300,
    httpShare: 0,
    seed: 7,
    incidentEvery: 0,
    transport: cap.transport,
    ...options,
  });
  const run = async (from: number, ms: number, step = 200): Promise<void> => {
    for (let t = from; t < from + ms; t += step) await sim.tick(t);
  };
  return { sim, run, ...cap };
}

// Plausible ranges for every numeric field the demo city reports.
const RANGES: Record<string, [number, number]> = {
  pm25: [0, 400],
  pm10: [0, 800],
  aqi: [0, 500],
  temp: [5, 45],
  humidity: [20, 100],
  noise: [30, 110],
  level: [0, 10],
  rain: [0, 200],
  flow: [0, 120],
  speed: [0, 90],
  occupancy: [0, 100],
  heading: [0, 359],
  passengers: [0, 80],
  bedsFree: [0, 800],
  bedsTotal: [100, 1000],
  erWait: [0, 180],
  waiting: [0, 300],
  avgWait: [0, 120],
  countersOpen: [0, 12],
};

// Generous timeout: some cases simulate a quarter of an hour of city traffic.
describe('demo-city simulator', { timeout: 60_000 }, () => {
  afterEach(() => void vi.useRealTimers());

  it('is deterministic for a seed', async () => {
    const a = simulator({ seed: 11, incidentEvery: 120_000 });
    const b = simulator({ seed: 11, incidentEvery: 120_000 });
    const c = simulator({ seed: 12, incidentEvery: 120_000 });
    await a.run(local(9), 20_000);
    await b.run(local(9), 20_000);
    await c.run(local(9), 20_000);
    expect(a.messages.length).toBeGreaterThan(1000);
    expect(b.messages).toEqual(a.messages);
    expect(c.messages).not.toEqual(a.messages);
    expect(b.sim.entities().map((e) => e.id)).toEqual(a.sim.entities().map((e) => e.id));
  });

  it('publishes valid observations for all four domains in every wire format, with plausible values', async () => {
    const { sim, run, messages, posted } = simulator({ httpShare: 0.1 });
    await run(local(8), 30_000);
    const all = [...decodeAll(messages), ...posted.map((o) => ObservationInputSchema.parse(o) as Obs)];
    expect(new Set(all.map((o) => o.domain))).toEqual(new Set(['sensor', 'traffic', 'health', 'queue']));
    const kinds = new Set(
      messages.map(([t, p]) =>
        parseTopic(t)?.id ? (p[0] === '[' ? 'senml' : 'json') : p[0] === '[' ? 'batch' : 'line',
      ),
    );
    expect(kinds).toEqual(new Set(['json', 'senml', 'batch', 'line']));
    expect(posted.length).toBeGreaterThan(0);
    const wrong: string[] = [];
    for (const o of all) {
      if (o.ts < local(8) - 200 || o.ts >= local(8) + 30_000) wrong.push(`${o.id}.ts ${o.ts}`);
      if (distanceM(CENTRE, o) > 6500) wrong.push(`${o.id} at ${o.lat},${o.lon}`);
      for (const [name, value] of Object.entries(o.fields)) {
        const range = RANGES[name];
        if (typeof value === 'number' && !Number.isFinite(value)) wrong.push(`${o.id}.${name} ${value}`);
        if (typeof value !== 'number' || !range) continue;
        if (value < range[0] || value > range[1]) wrong.push(`${o.id}.${name} ${value}`);
      }
      if ('pm25' in o.fields && o.fields.aqi !== aqiFromPm25(o.fields.pm25 as number)) wrong.push(`${o.id}.aqi`);
      if ('status' in o.fields && !['idle', 'enroute', 'transport'].includes(o.fields.status as string)) {
        wrong.push(`${o.id}.status ${String(o.fields.status)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(all.length).toBeGreaterThan(8000);
    const ids = new Set(all.map((o) => o.id));
    expect(ids.size).toBe(sim.stats().entities);
    const tags = sim.entities().find((e) => e.id === 'aq-01')?.tags;
    expect(tags?.name).toMatch(/^Trạm quan trắc /);
  });

  it('follows the daily rhythm: rush-hour traffic and PM, quiet nights', async () => {
    const mean = async (hour: number, field: string): Promise<number> => {
      const { run, messages } = simulator({ rate: 60 });
      await run(local(hour) - 4 * MINUTE, 8 * MINUTE, 2000);
      const domain = field === 'flow' ? 'city/traffic' : 'city/sensor';
      const values = decodeAll(messages.filter(([topic]) => topic.startsWith(domain)))
        .map((o) => o.fields[field])
        .filter((v): v is number => typeof v === 'number');
      return values.reduce((s, v) => s + v, 0) / values.length;
    };
    expect(await mean(8, 'flow')).toBeGreaterThan(1.5 * (await mean(3, 'flow')));
    expect(await mean(8, 'pm25')).toBeGreaterThan(await mean(13, 'pm25'));
    expect(await mean(15, 'noise')).toBeGreaterThan((await mean(3, 'noise')) + 10);
  });

  it('moves buses smoothly along their routes', async () => {
    const { run, messages } = simulator();
    await run(local(10), 120_000);
    const paths = new Map(
      BUS_ROUTES.map((r) => [r.code, createPath(r.closed ? r.points : outAndBack(r.points), true)]),
    );
    const byBus = new Map<string, Obs[]>();
    for (const o of decodeAll(messages))
      if (o.domain === 'traffic' && o.id.startsWith('bus-')) byBus.set(o.id, [...(byBus.get(o.id) ?? []), o]);
    expect(byBus.size).toBe(20);
    for (const [id, reports] of byBus) {
      const path = paths.get(reports[0]?.fields.route as string);
      expect(path, id).toBeDefined();
      expect(Math.max(...reports.map((o) => distanceToPath(path!, o)))).toBeLessThan(2);
      let fastest = 0;
      for (let i = 1; i < reports.length; i++) {
        const [a, b] = [reports[i - 1] as Obs, reports[i] as Obs];
        expect(b.ts).toBeGreaterThan(a.ts);
        fastest = Math.max(fastest, distanceM(a, b) / ((b.ts - a.ts) / 1000));
      }
      expect(fastest).toBeGreaterThan(2);
      expect(fastest).toBeLessThan(15);
      const first = reports[0] as Obs;
      const last = reports[reports.length - 1] as Obs;
      expect(distanceM(first, last), id).toBeGreaterThan(200);
    }
  });

  it.each([50, 300, 5_000, 20_000])('publishes %i observations per second', async (rate) => {
    const { sim, run, posted } = simulator({ rate, httpShare: 0.05 });
    await run(local(10), 10_000, 250);
    const { published, httpPosted, errors } = sim.stats();
    expect(errors).toBe(0);
    expect(httpPosted).toBe(posted.length);
    expect(published + httpPosted).toBeGreaterThan(rate * 10 * 0.97);
    expect(published + httpPosted).toBeLessThan(rate * 10 * 1.03 + 10);
    expect(httpPosted / (published + httpPosted)).toBeCloseTo(0.05, 2);
  });

  it('adds synthetic sensors for high rates, up to a cap', () => {
    const { sim } = simulator({ rate: 20_000 });
    expect(sim.stats().entities).toBeGreaterThan(5_000);
    expect(sim.entities().filter((e) => /^aq-x\d{5}$/.test(e.id)).length).toBe(sim.stats().entities - 141);
    expect(simulator({ rate: 300 }).sim.stats().entities).toBe(141);
    expect(simulator({ rate: 1_000_000 }).sim.stats().entities).toBe(MAX_ENTITIES);
  });

  it('closes service queues outside office hours (local time)', async () => {
    for (const [hour, open] of [
      [23, false],
      [4, false],
      [10, true],
      [16, true],
    ] as const) {
      const { run, messages } = simulator();
      await run(local(hour), 30_000);
      const queues = decodeAll(messages).filter((o) => o.domain === 'queue');
      expect(new Set(queues.map((o) => o.id)).size).toBe(12);
      for (const o of queues) {
        expect(o.fields.open).toBe(open);
        if (open) expect(o.fields.countersOpen).toBeGreaterThan(0);
        else expect(o.fields).toMatchObject({ waiting: 0, avgWait: 0, countersOpen: 0 });
      }
    }
  });

  describe('incidents', () => {
    /** Triggers `kind` at 10:00 local, runs `minutes`, returns the observations of the targets (and all). */
    async function stage(kind: Parameters<ReturnType<typeof createSimulator>['trigger']>[0], minutes: number) {
      const { sim, run, messages } = simulator({ rate: 50 });
      const t0 = local(10);
      await sim.tick(t0);
      const incident = sim.trigger(kind);
      expect(incident).not.toBeNull();
      expect(sim.stats().activeIncidents).toContain(incident!.id);
      await run(t0 + 1000, minutes * MINUTE, 1000);
      const of = (id: string) => decodeAll(messages, [id]);
      return { sim, incident: incident!, t0, of };
    }
    const during = (obs: Obs[], from: number, to: number) => obs.filter((o) => o.ts >= from && o.ts <= to);
    const values = (obs: Obs[], field: string) => obs.map((o) => o.fields[field] as number);

    it('holds PM2.5 above 150 for more than 5 minutes at a few stations', async () => {
      const { incident, t0, of } = await stage('pm25', 15);
      expect(incident.targets.length).toBeGreaterThanOrEqual(2);
      for (const id of incident.targets) {
        const held = during(of(id), t0 + 70_000, t0 + 7 * MINUTE);
        expect(held.length).toBeGreaterThan(50);
        expect(Math.min(...values(held, 'pm25'))).toBeGreaterThan(150);
        const after = during(of(id), incident.end + 1000, Infinity);
        expect(after.length).toBeGreaterThan(0);
        expect(Math.max(...values(after, 'pm25'))).toBeLessThan(150);
      }
    });

    it('raises river levels by more than 0.5 m in 10 minutes under heavy rain', async () => {
      const { incident, t0, of } = await stage('flood', 12);
      expect(incident.targets.length).toBeGreaterThanOrEqual(3);
      for (const id of incident.targets) {
        const obs = of(id);
        const before = during(obs, t0, t0 + 5000)[0]!;
        const after = during(obs, t0 + 10 * MINUTE, t0 + 11 * MINUTE)[0]!;
        expect((after.fields.level as number) - (before.fields.level as number)).toBeGreaterThan(0.5);
        expect(after.fields.rain).toBeGreaterThan(30);
      }
    });

    it('collapses a junction while its neighbours stay busy', async () => {
      const { sim, incident, t0, of } = await stage('jam', 5);
      const jammed = sim.entities().find((e) => e.id === incident.targets[0])!;
      const jam = during(of(jammed.id), t0 + MINUTE, t0 + 5 * MINUTE);
      expect(jam.length).toBeGreaterThan(20);
      expect(Math.max(...values(jam, 'flow'))).toBeLessThan(2);
      expect(Math.max(...values(jam, 'speed'))).toBeLessThan(5);
      const neighbours = sim
        .entities()
        .filter((e) => e.id.startsWith('jn-') && e !== jammed)
        .sort((a, b) => distanceM(a, jammed) - distanceM(b, jammed))
        .slice(0, 2);
      for (const n of neighbours) {
        expect(Math.min(...values(during(of(n.id), t0 + MINUTE, t0 + 5 * MINUTE), 'flow'))).toBeGreaterThan(10);
      }
    });

    it('pushes ER waits over 60 minutes and service-queue waits over 45 minutes', async () => {
      const er = await stage('er', 8);
      const waits = during(er.of(er.incident.targets[0]!), er.t0 + 3 * MINUTE, er.t0 + 8 * MINUTE);
      expect(waits.length).toBeGreaterThan(10);
      expect(Math.min(...values(waits, 'erWait'))).toBeGreaterThan(60);
      const q = await stage('queue', 8);
      const held = during(q.of(q.incident.targets[0]!), q.t0 + 3 * MINUTE, q.t0 + 8 * MINUTE);
      expect(held.length).toBeGreaterThan(10);
      expect(Math.min(...values(held, 'avgWait'))).toBeGreaterThan(45);
    });

    it('silences a sensor for several minutes, then it reports again', async () => {
      const { incident, t0, of } = await stage('silent', 12);
      const obs = of(incident.targets[0]!);
      expect(incident.end - incident.start).toBeGreaterThanOrEqual(5 * MINUTE);
      expect(during(obs, t0 + 1, incident.end - 1)).toEqual([]);
      expect(during(obs, incident.end, Infinity).length).toBeGreaterThan(0);
    });

    it('stages incidents on its own at the configured pace', async () => {
      const { sim, run } = simulator({ rate: 50, incidentEvery: 2 * MINUTE });
      const seen = new Set<string>();
      for (let t = local(9); t < local(10); t += MINUTE) {
        await run(t, MINUTE, 2000);
        for (const id of sim.stats().activeIncidents) seen.add(id);
      }
      expect(seen.size).toBeGreaterThanOrEqual(10);
      expect(seen.size).toBeLessThanOrEqual(60);
      expect(new Set([...seen].map((id) => id.split(':')[0])).size).toBeGreaterThanOrEqual(4);
    });
  });

  it('counts transport failures without throwing, and runs from its own timer', async () => {
    vi.useFakeTimers();
    let clock = local(10);
    const errors: Error[] = [];
    let calls = 0;
    const sim = createSimulator({
      rate: 300,
      httpShare: 0,
      seed: 1,
      now: () => clock,
      onError: (e) => void errors.push(e),
      transport: {
        publish: () => {
          if (++calls % 2 === 0) throw new Error('broker down');
          return calls % 3 === 0 ? Promise.reject(new Error('no puback')) : undefined;
        },
      },
    });
    sim.start();
    for (let i = 0; i < 10; i++) {
      clock += 200;
      await vi.advanceTimersByTimeAsync(200);
    }
    await sim.stop();
    const stats = sim.stats();
    expect(stats.messages).toBe(calls);
    expect(stats.errors).toBeGreaterThan(calls / 2);
    expect(stats.published).toBeLessThan(stats.messages);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.length).toBeLessThanOrEqual(10);
  });

  it('computes AQI from PM2.5 with the US EPA breakpoints', () => {
    expect([0, 9.0, 12, 35.4, 55.4, 125.4, 225.4, 325.4, 600].map(aqiFromPm25)).toEqual([
      0, 50, 56, 100, 150, 200, 300, 500, 500,
    ]);
  });
});
