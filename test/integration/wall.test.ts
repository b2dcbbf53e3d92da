import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeartbeatSchema, RuleNamesResponseSchema, type CameraEventsResponse, type ConsoleConfig, type Heartbeat, type Kpi, type KpisResponse, type QualityResponse } from '../../contract/index.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { connectLive, startTestIoc, type LiveRecorder, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { startMosquitto, uniqueName, type RunningService } from '../support/services.js';

const CAMERA = { id: 'cam-cho', name: 'Chợ thành phố', lat: 21.2745, lon: 106.1975, snapshotUrl: 'http://frigate.local/api/events/{id}/snapshot.jpg' };
const HOUR = 3_600_000;

/** A Frigate `frigate/events` message exactly as Frigate 0.16 publishes it (fields the product ignores included). */
function frigateMessage(type: 'new' | 'update' | 'end', id: string, at: number, extra: Record<string, unknown> = {}) {
  const after = {
    id,
    camera: CAMERA.id,
    frame_time: at / 1000,
    snapshot: null,
    label: 'car',
    sub_label: null,
    top_score: 0.91,
    false_positive: false,
    start_time: (at - 2000) / 1000,
    end_time: type === 'end' ? at / 1000 : null,
    score: 0.88,
    box: [424, 500, 536, 712],
    area: 23744,
    ratio: 0.53,
    region: [264, 450, 667, 853],
    current_zones: type === 'end' ? [] : ['cong-cho'],
    entered_zones: ['cong-cho'],
    thumbnail: null,
    has_snapshot: true,
    has_clip: false,
    active: true,
    stationary: false,
    motionless_count: 0,
    position_changes: 2,
    attributes: {},
    recognized_license_plate: '98A-123.45',
    recognized_license_plate_score: 0.93,
    ...extra,
  };
  return JSON.stringify({ type, before: after, after });
}

describe('wall data: KPIs, data quality, camera events', () => {
  let product: TestIoc;
  let publisher: MqttClient;
  let operator: ApiSession;
  let live: LiveRecorder;
  const rejected: { topic: string; body: { errors: { error: string }[] } }[] = [];

  beforeAll(async () => {
    product = await startTestIoc({ cameras: [CAMERA], quality: { window: '5m', silentAfter: '10m' } });
    publisher = await mqtt.connectAsync(product.ioc.mqttUrl, { clientId: 'wall-test-pub' });
    await publisher.subscribeAsync('ioc/rejected/#');
    publisher.on('message', (topic, payload) => rejected.push({ topic, body: JSON.parse(payload.toString()) as (typeof rejected)[number]['body'] }));
    operator = await signIn(product.baseUrl, 'wall-op', await product.api.createUser('wall-op', ['operator']));
    live = await connectLive(product.baseUrl, product.api);
    await live.subscribe({ layers: ['camera'] });
  });

  afterAll(async () => {
    live?.close();
    await publisher?.endAsync();
    await product?.stop();
  });

  const ingest = async (observations: unknown[]) => {
    const res = await product.api.fetch('/api/v1/ingest', { method: 'POST', json: observations });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: unknown[] };
    expect(body.rejected).toEqual([]);
    return body;
  };

  it('names the wall scenes, the cameras and the build in the console config', async () => {
    const config = (await (await product.api.fetch('/api/v1/console-config')).json()) as ConsoleConfig;
    expect(config.wall?.scenes.map((s) => s.kind)).toEqual(['map', 'kpis', 'alerts', 'cameras', 'quality']);
    expect(config.wall?.scenes[0]?.duration).toBe(60_000);
    expect(config.cameras).toEqual([{ id: CAMERA.id, name: CAMERA.name, lat: CAMERA.lat, lon: CAMERA.lon }]);
    expect(config.domains.dossier?.layer).toBe(false);
    expect(config.domains.sensor?.layer).toBe(true);
    // The replay window picker reaches back as far as the store keeps data.
    expect(config.retention).toEqual({ raw: 30 * 86_400_000, downsampled: 400 * 86_400_000 });
  });

  it('lets the console load camera snapshots from the camera server (CSP img-src), and nothing else new', async () => {
    const csp = (await fetch(`${product.baseUrl}/healthz`)).headers.get('content-security-policy') ?? '';
    expect(/img-src ([^;]*)/.exec(csp)?.[1]?.split(' ')).toContain('http://frigate.local');
    expect(/script-src ([^;]*)/.exec(csp)?.[1]).not.toContain('frigate');
  });

  it('computes the KPI board from live entities and dossier events, with targets and status', async () => {
    const now = Date.now();
    const air = (id: string, aqi: number, lat: number) => ({ domain: 'sensor', id, lat, lon: 106.19, fields: { aqi, pm25: aqi / 4 } });
    await ingest([air('aq-k1', 42, 21.27), air('aq-k2', 88, 21.271), air('aq-k3', 160, 21.272), air('aq-k4', 99, 21.273)]);
    await ingest([
      { domain: 'traffic', id: 'j-k1', lat: 21.27, lon: 106.19, fields: { flow: 30, speed: 32, occupancy: 20 } },
      { domain: 'traffic', id: 'j-k2', lat: 21.27, lon: 106.2, fields: { flow: 2, speed: 4, occupancy: 93 } },
      { domain: 'health', id: 'bv-k1', lat: 21.27, lon: 106.19, fields: { bedsFree: 30, bedsTotal: 300, erWait: 20 } },
      { domain: 'health', id: 'amb-k1', lat: 21.27, lon: 106.19, fields: { status: 'idle', speed: 0 } },
      { domain: 'health', id: 'amb-k2', lat: 21.27, lon: 106.19, fields: { status: 'transport', speed: 40 } },
      { domain: 'queue', id: 'hcc-k1', lat: 21.27, lon: 106.19, fields: { waiting: 10, avgWait: 12, countersOpen: 4, open: true } },
      { domain: 'queue', id: 'hcc-k2', lat: 21.27, lon: 106.19, fields: { waiting: 40, avgWait: 36, countersOpen: 2, open: true } },
    ]);
    // Four dossiers: two completed on time (one online), one late, one still open past its due time.
    const dossier = (id: string, event: string, ts: number, due: number, online: boolean, rating?: number) => ({
      domain: 'dossier',
      id,
      ts,
      fields: { event, due, online, agency: 'UBND Phường Trần Phú', procedure: 'chung-thuc-ban-sao', ...(rating !== undefined ? { rating } : {}) },
    });
    await ingest([
      dossier('hs-1', 'received', now - 10 * HOUR, now - 8 * HOUR, true),
      dossier('hs-1', 'completed', now - 9 * HOUR, now - 8 * HOUR, true, 5),
      dossier('hs-2', 'received', now - 10 * HOUR, now - 5 * HOUR, false),
      dossier('hs-2', 'completed', now - 6 * HOUR, now - 5 * HOUR, false, 4),
      dossier('hs-3', 'received', now - 10 * HOUR, now - 9 * HOUR, false),
      dossier('hs-3', 'completed', now - 2 * HOUR, now - 9 * HOUR, false, 2),
      dossier('hs-4', 'received', now - 10 * HOUR, now - HOUR, true),
    ]);
    // A dossier already counted is counted once, even if its event arrives twice.
    await ingest([dossier('hs-1', 'completed', now - 9 * HOUR, now - 8 * HOUR, true, 5)]);

    const kpiOf = async (id: string): Promise<Kpi> => {
      const body = (await (await operator.fetch('/api/v1/kpis')).json()) as KpisResponse;
      const kpi = body.kpis.find((k) => k.id === id);
      if (!kpi) throw new Error(`no KPI ${id}`);
      return kpi;
    };
    await waitFor(async () => (await kpiOf('dossier.on_time_share')).value !== null, 'the dossiers tallied', 40_000, 500);
    expect(await kpiOf('air.good_share')).toMatchObject({ value: 75, unit: '%', target: 90, better: 'higher', status: 'bad' });
    expect(await kpiOf('traffic.flowing_share')).toMatchObject({ value: 50, status: 'bad' });
    expect(await kpiOf('traffic.mean_speed')).toMatchObject({ value: 18, status: 'bad' });
    expect(await kpiOf('health.beds_free')).toMatchObject({ value: 10, status: 'ok' });
    expect(await kpiOf('health.ambulances_free')).toMatchObject({ value: 1, status: 'warn' });
    expect(await kpiOf('services.mean_wait')).toMatchObject({ value: 24, better: 'lower', status: 'bad' });
    expect(await kpiOf('services.centres_over_target')).toMatchObject({ value: 1, target: 0, status: 'warn' });
    const onTime = await kpiOf('dossier.on_time_share');
    expect(onTime).toMatchObject({ value: 66.7, target: 95, status: 'bad' });
    expect(onTime.detail?.en).toBe('3 completed, 1 open past due');
    expect(await kpiOf('dossier.online_share')).toMatchObject({ value: 50 });
    expect(await kpiOf('dossier.satisfaction')).toMatchObject({ value: 66.7 });
    // The sparkline ends with the value shown.
    expect(onTime.trend?.at(-1)).toBe(66.7);
  });

  it('takes Frigate events unchanged: camera counts live, events listed, plates only for supervisors and admins', async () => {
    const at = Date.now();
    await publisher.publishAsync('frigate/events', frigateMessage('new', 'ev-1', at), { qos: 1 });
    await publisher.publishAsync('frigate/events', frigateMessage('new', 'ev-2', at + 100, { label: 'person', recognized_license_plate: null }), { qos: 1 });
    await waitFor(() => live.entities.get(`camera/${CAMERA.id}`)?.fields.objects === 2, 'the camera seeing two objects');
    expect(live.entities.get(`camera/${CAMERA.id}`)?.fields).toMatchObject({ car: 1, person: 1, last_label: 'person' });
    // Plates are personal data: never in an observation.
    expect(JSON.stringify(live.entities.get(`camera/${CAMERA.id}`))).not.toContain('98A');

    await publisher.publishAsync('frigate/events', frigateMessage('end', 'ev-1', at + 5000), { qos: 1 });
    await waitFor(() => live.entities.get(`camera/${CAMERA.id}`)?.fields.car === 0, 'the car gone');

    const asAdmin = (await (await product.api.fetch(`/api/v1/cameras/events?camera=${CAMERA.id}`)).json()) as CameraEventsResponse;
    expect(asAdmin.events.map((e) => e.id)).toEqual(['ev-2', 'ev-1']);
    const car = asAdmin.events.find((e) => e.id === 'ev-1');
    expect(car).toMatchObject({ label: 'car', score: 0.91, end: at + 5000, plate: '98A-123.45', snapshotUrl: 'http://frigate.local/api/events/ev-1/snapshot.jpg' });
    expect(car?.clipUrl).toBeUndefined();
    const asOperator = (await (await operator.fetch(`/api/v1/cameras/events?camera=${CAMERA.id}`)).json()) as CameraEventsResponse;
    expect(asOperator.events).toHaveLength(2);
    expect(JSON.stringify(asOperator)).not.toContain('98A');

    // An export of the camera domain holds counts, never plates.
    // The store writes in the background: wait until the camera's rows are in it.
    const csv = await waitFor(async () => {
      const text = await (await product.api.fetch(`/api/v1/export?format=csv&domain=camera&from=${at - 60_000}&to=${at + 60_000}`)).text();
      return text.includes(CAMERA.id) ? text : undefined;
    }, 'the camera rows in the export');
    expect(csv).not.toContain('98A');
  });

  it('refuses a Frigate event from an unknown camera, or garbage, with the reason', async () => {
    await publisher.publishAsync('frigate/events', frigateMessage('new', 'ev-x', Date.now(), { camera: 'cam-unknown' }), { qos: 1 });
    await publisher.publishAsync('frigate/events', '{"type":"new","after":{"id":1}}', { qos: 1 });
    await waitFor(() => rejected.filter((r) => r.topic === 'ioc/rejected/camera').length >= 2, 'both refusals on ioc/rejected/camera');
    const reasons = rejected.filter((r) => r.topic === 'ioc/rejected/camera').map((r) => r.body.errors[0]?.error);
    expect(reasons[0]).toMatch(/camera "cam-unknown" is not in the cameras list of the config \(known: cam-cho\)/);
    expect(reasons[1]).toMatch(/^not a Frigate event: after\.id: /);
  });

  it('makes the camera domain usable in alert rules', async () => {
    const rule = { id: 'people-at-market', name: 'People at the market', domain: 'camera', severity: 'warning', condition: { field: 'person', op: '>=', value: 2 } };
    expect((await product.api.fetch('/api/v1/rules', { method: 'POST', json: rule })).status).toBe(201);
    const at = Date.now();
    await publisher.publishAsync('frigate/events', frigateMessage('new', 'ev-3', at, { label: 'person', recognized_license_plate: null }), { qos: 1 });
    const alerts = await waitFor(async () => {
      const body = (await (await product.api.fetch('/api/v1/alerts?ruleId=people-at-market')).json()) as { alerts: { entityId: string; state: string }[] };
      return body.alerts.length > 0 ? body.alerts : undefined;
    }, 'the rule firing on two people in view');
    expect(alerts[0]).toMatchObject({ entityId: CAMERA.id, state: 'firing' });
  });

  it('reports data quality: reporting and stale entities, ingest lag, refusals by reason with examples', async () => {
    const now = Date.now();
    // Arrives 90 s after it was measured: lag 90 s.
    await ingest([{ domain: 'sensor', id: 'aq-late', ts: now - 90_000, lat: 21.27, lon: 106.19, fields: { pm25: 10 } }]);
    // A sensor last heard 20 minutes ago (past staleAfter 2 min, and past silentAfter 10 min).
    await ingest([{ domain: 'sensor', id: 'aq-old', ts: now - 20 * 60_000, lat: 21.27, lon: 106.19, fields: { pm25: 10 } }]);
    // Stuck: the same reading seven hours apart (the default stuckAfter is six); out of range: 5000 µg/m³.
    await ingest([{ domain: 'sensor', id: 'aq-stuck', ts: now - 7 * HOUR, lat: 21.27, lon: 106.19, fields: { pm25: 17.3 } }]);
    await ingest([{ domain: 'sensor', id: 'aq-stuck', ts: now, lat: 21.27, lon: 106.19, fields: { pm25: 17.3 } }]);
    await ingest([{ domain: 'sensor', id: 'aq-crazy', lat: 21.27, lon: 106.19, fields: { pm25: 5000 } }]);
    for (let i = 0; i < 3; i++) await publisher.publishAsync(`city/sensor/aq-bad-${i}`, `{"pm25": "high-${i}"`, { qos: 1 });
    const report = await waitFor(async () => {
      const body = (await (await operator.fetch('/api/v1/quality?domain=sensor&limit=100')).json()) as QualityResponse;
      return body.domains[0]?.rejected === 3 ? body : undefined;
    }, 'three refusals counted');
    const sensor = report.domains[0]!;
    expect(sensor.domain).toBe('sensor');
    expect(report.windowMs).toBe(5 * 60_000);
    expect(sensor.rejects).toHaveLength(1);
    expect(sensor.rejects[0]?.count).toBe(3);
    expect(sensor.rejects[0]?.latest[0]?.source).toBe('city/sensor/aq-bad-2');
    expect(sensor.rejects[0]?.latest[0]?.example).toContain('high-2');
    const late = sensor.entities.find((e) => e.id === 'aq-late');
    expect(late?.status).toBe('reporting');
    expect(late?.lagP95Ms).toBeGreaterThanOrEqual(90_000);
    expect(late?.lagP95Ms).toBeLessThan(120_000);
    // Received just now, so "reporting" by receive time, though its observation is old: the lag shows it.
    expect(sensor.entities.find((e) => e.id === 'aq-old')?.lagP95Ms).toBeGreaterThanOrEqual(20 * 60_000);
    expect(sensor.reporting).toBe(sensor.entities.filter((e) => e.status === 'reporting').length);
    expect(sensor.receivedPerMinute).toBeGreaterThan(0);

    const stuck = sensor.entities.find((e) => e.id === 'aq-stuck');
    expect(stuck?.flags).toEqual([{ kind: 'stuck', field: 'pm25', value: 17.3, since: now - 7 * HOUR, detail: 'unchanged for 7 h', reason: { vi: 'không đổi trong 7 giờ', en: 'unchanged for 7 h' } }]);
    expect(sensor.entities.find((e) => e.id === 'aq-crazy')?.flags?.find((f) => f.kind === 'out_of_range')).toMatchObject({ field: 'pm25', value: 5000, detail: 'outside 0..1000', reason: { vi: 'ngoài khoảng 0..1000', en: 'outside 0..1000' } });
    expect(sensor.flagged).toBeGreaterThanOrEqual(2);
    // Flagged entities come right after the silent and stale ones.
    const firstReporting = sensor.entities.findIndex((e) => e.status === 'reporting');
    expect(sensor.entities[firstReporting]?.flags).toBeDefined();
    expect(sensor.zones.reduce((sum, z) => sum + z.reporting + z.stale + z.silent, 0)).toBe(sensor.reporting + sensor.stale + sensor.silent);

    expect((await operator.fetch('/api/v1/quality?domain=nosuch')).status).toBe(404);
    expect((await operator.fetch('/api/v1/quality?limit=-1')).status).toBe(400);
  });

  it('names the rules to whoever reads alerts, a display token too, without their conditions', async () => {
    await product.api.fetch('/api/v1/rules', {
      method: 'POST',
      json: { id: 'wall-names', name: 'Ùn tắc nút giao', domain: 'traffic', condition: { field: 'speed', op: '<', value: 5 }, severity: 'warning' },
    });
    const display = await product.api.createToken(['display'], 'wall names');
    const asDisplay = (route: string) => fetch(`${product.baseUrl}/api/v1${route}`, { headers: { authorization: `Bearer ${display}` } });
    expect((await asDisplay('/rules')).status).toBe(403);
    const res = await asDisplay('/rule-names');
    expect(res.status).toBe(200);
    const { rules } = RuleNamesResponseSchema.parse(await res.json());
    expect(rules.find((r) => r.id === 'wall-names')).toEqual({ id: 'wall-names', name: 'Ùn tắc nút giao', field: 'speed' });
  });

  it('beats on /live with the delta interval and, per domain, when the server last received data', async () => {
    const beats: Heartbeat[] = [];
    live.socket.on('heartbeat', (beat) => beats.push(beat));
    const before = Date.now();
    await ingest([{ domain: 'traffic', id: 'jn-beat', lat: 21.27, lon: 106.19, fields: { flow: 12 } }]);
    // A beat that knows of the ingest (the pipeline takes it on a later turn): it comes though this
    // socket follows only cameras and nothing changed there.
    const beat = await waitFor(() => beats.find((b) => (b.received.traffic ?? 0) >= before), 'a heartbeat after the ingest', 15_000, 50);
    expect(HeartbeatSchema.parse(beat)).toEqual(beat);
    expect(beat.deltaInterval).toBe(product.config.live.deltaInterval);
    expect(beat.received.traffic).toBeLessThanOrEqual(beat.ts);
    expect(beat.received.sensor).toBeLessThan(before);
  });
});

describe('Frigate events over a real Mosquitto', () => {
  let mosquitto: RunningService;
  let product: TestIoc;
  let live: LiveRecorder;

  beforeAll(async () => {
    mosquitto = await startMosquitto();
    product = await startTestIoc({ mqtt: { url: mosquitto.url, clientId: uniqueName('ingest') }, cameras: [CAMERA] });
    live = await connectLive(product.baseUrl, product.api);
    await live.subscribe({ layers: ['camera'] });
  });
  afterAll(async () => {
    live?.close();
    await product?.stop();
    await mosquitto?.stop();
  });

  it('draws the camera from Frigate messages published as Frigate does (QoS 0, retain off), and a rule fires on them', async () => {
    const rule = { id: 'people-at-night', name: 'People at the market', domain: 'camera', severity: 'warning', condition: { field: 'person', op: '>=', value: 1 } };
    expect((await product.api.fetch('/api/v1/rules', { method: 'POST', json: rule })).status).toBe(201);
    const frigate = await mqtt.connectAsync(mosquitto.url, { clientId: uniqueName('frigate') });
    await frigate.publishAsync('frigate/events', frigateMessage('new', 'm-1', Date.now(), { label: 'person', recognized_license_plate: null }));
    await waitFor(() => live.entities.get(`camera/${CAMERA.id}`)?.fields.person === 1, 'the camera on the live layer with one person');
    const entity = live.entities.get(`camera/${CAMERA.id}`)!;
    expect([entity.lat, entity.lon]).toEqual([CAMERA.lat, CAMERA.lon]);
    await waitFor(async () => {
      const body = (await (await product.api.fetch('/api/v1/alerts?ruleId=people-at-night')).json()) as { alerts: { entityId: string }[] };
      return body.alerts.some((a) => a.entityId === CAMERA.id);
    }, 'the rule firing');
    await frigate.endAsync();
  });
});

describe('camera events across a restart', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ioc-wall-cam-'));
  let product: TestIoc | undefined;

  afterAll(async () => {
    await product?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the events kept before the restart, within cameraEvents.keep, and never writes a plate to disk', async () => {
    product = await startTestIoc({ cameras: [CAMERA], cameraEvents: { keep: '3h' } }, dataDir);
    const publisher = await mqtt.connectAsync(product.ioc.mqttUrl, { clientId: 'wall-cam-restart' });
    const at = Date.now();
    await publisher.publishAsync('frigate/events', frigateMessage('new', 'ev-kept', at - 5000), { qos: 1 });
    await publisher.publishAsync('frigate/events', frigateMessage('end', 'ev-kept', at), { qos: 1 });
    // Ended two hours ago: kept for 3 h before the restart, past the 1 h kept after it.
    await publisher.publishAsync('frigate/events', frigateMessage('end', 'ev-old', at - 2 * HOUR), { qos: 1 });
    await publisher.endAsync();
    await waitFor(async () => {
      const body = (await (await product!.api.fetch('/api/v1/cameras/events')).json()) as CameraEventsResponse;
      const ids = body.events.filter((e) => e.end !== null).map((e) => e.id);
      return (ids.includes('ev-kept') && ids.includes('ev-old')) || undefined;
    }, 'both ended events listed');
    await product.ioc.close();

    const file = readFileSync(path.join(dataDir, 'camera-events.json'), 'utf8');
    expect(file).toContain('ev-kept');
    expect(file).not.toContain('98A');

    product = await startTestIoc({ cameras: [CAMERA], cameraEvents: { keep: '1h' } }, dataDir);
    const asAdmin = (await (await product.api.fetch('/api/v1/cameras/events')).json()) as CameraEventsResponse;
    expect(asAdmin.events.map((e) => e.id)).toEqual(['ev-kept']);
    // The plate stayed in the memory of the process that saw it: an admin no longer gets it.
    expect(asAdmin.events[0]).toMatchObject({ camera: CAMERA.id, label: 'car', end: at, snapshotUrl: 'http://frigate.local/api/events/ev-kept/snapshot.jpg' });
    expect(asAdmin.events[0]?.plate).toBeUndefined();
  });
});
