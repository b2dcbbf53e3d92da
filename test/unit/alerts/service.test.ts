import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../contract/index.js';
import { createAlertService } from '../../../server/alerts/alert-service.js';
import { FakeAlertsStore, fakeClock, memoryLogger } from './fake-store.js';
import { PM25_RULE, serviceWith, T0 } from './service-harness.js';

describe('storm control', () => {
  it('sends a grouped summary per rule and zone instead of individual alerts during a burst', async () => {
    const zoneOf = (lat: number | null) => (lat !== null && lat > 21.27 ? 'north' : 'south');
    const { service, emitted, summaries, clock } = await serviceWith([PM25_RULE], {
      zoneOf,
      storm: { threshold: 20, windowMs: 10_000 },
    });
    for (let i = 0; i < 30; i++) {
      const lat = i % 3 === 0 ? 21.28 : 21.26;
      service.observe([{ domain: 'sensor', id: `S${i}`, ts: T0 + i, lat, lon: 106.19, fields: { pm25: 200 } }]);
    }
    expect(emitted).toHaveLength(20);
    expect(service.stats().storms).toEqual(['pm25-high']);
    service.tick(clock.advance(500));
    expect(summaries).toHaveLength(1);
    const counts = Object.fromEntries(summaries[0]!.map((s) => [s.zone, s.count]));
    expect(counts).toEqual({ north: 10, south: 20 });
    expect(summaries[0]![0]).toMatchObject({ ruleId: 'pm25-high', severity: 'warning', ts: T0 + 500 });
    // Every alert exists and can be queried.
    const firing = await service.queryAlerts({ state: ['firing'] });
    expect(firing).toHaveLength(30);
    // Each alert carries the zone it fired in, and can be asked for by zone.
    expect(firing.filter((a) => a.zone === 'north')).toHaveLength(10);
    expect(await service.queryAlerts({ zone: 'south' })).toHaveLength(20);

    // At most one summary per second.
    service.observe([{ domain: 'sensor', id: 'S99', ts: T0 + 600, lat: 21.28, lon: 106.19, fields: { pm25: 200 } }]);
    service.tick(clock.advance(400));
    expect(summaries).toHaveLength(1);
    service.tick(clock.advance(600));
    expect(summaries).toHaveLength(2);
    expect(summaries[1]!.find((s) => s.zone === 'north')?.count).toBe(11);

    // A whole quiet window ends the storm with a last summary; alerts go out one by one again.
    service.tick(clock.advance(11_000));
    expect(summaries).toHaveLength(3);
    expect(service.stats().storms).toEqual([]);
    service.observe([{ domain: 'sensor', id: 'S100', ts: clock.now(), fields: { pm25: 200 } }]);
    expect(emitted.at(-1)?.entityId).toBe('S100');
  });
});

describe('restart', () => {
  it('reloads open alerts and API rules, and does not open a second alert for a condition still holding', async () => {
    const first = await serviceWith();
    const rule = await first.service.createRule({
      name: 'Noise high',
      domain: 'sensor',
      condition: { field: 'noise', op: '>', value: 70 },
      severity: 'info',
    });
    first.pm25('S1', 150);
    first.pm25('S2', 150);
    first.service.observe([{ domain: 'sensor', id: 'N1', ts: T0, fields: { noise: 80 } }]);
    await first.service.ack(first.emitted[0]!.id, 'lan');
    await first.service.close();

    const second = await serviceWith([PM25_RULE], { store: first.store });
    expect(second.service.getRule(rule.id)).toEqual(rule);
    const open = await second.service.queryAlerts({});
    expect(open.map((a) => `${a.entityId}:${a.state}`).sort()).toEqual(['N1:firing', 'S1:acknowledged', 'S2:firing']);

    second.pm25('S1', 160, T0 + 10_000);
    expect(second.emitted).toHaveLength(0);
    expect(await second.service.queryAlerts({})).toHaveLength(3);
    second.pm25('S2', 10, T0 + 10_000);
    expect(second.emitted.map((a) => `${a.entityId}:${a.state}`)).toEqual(['S2:resolved']);
  });

  it('resolves open alerts whose rule no longer exists', async () => {
    const first = await serviceWith();
    first.pm25('S1', 150);
    await first.service.close();
    const second = await serviceWith([], { store: first.store });
    const [alert] = await second.service.queryAlerts({});
    expect(alert).toMatchObject({ state: 'resolved' });
    expect(alert!.history!.at(-1)).toMatchObject({ by: 'system', action: 'resolve', note: 'rule deleted' });
  });
});

describe('persistence', () => {
  it('logs a failed save and retries it without blocking the engine', async () => {
    const store = new FakeAlertsStore();
    store.failSaves = 1;
    const logger = memoryLogger();
    const clock = fakeClock(T0);
    const service = createAlertService({ store, logger, clock: clock.now, configRules: [PM25_RULE], saveDelayMs: 1 });
    await service.load();
    service.observe([{ domain: 'sensor', id: 'S1', ts: T0, fields: { pm25: 150 } }]);
    await service.flush();
    expect(store.alerts.size).toBe(0);
    expect(logger.lines[0]).toMatchObject({ level: 'warn', message: 'saving alerts failed; retrying' });
    expect(service.stats().pendingWrites).toBe(1);
    await service.flush();
    expect(store.alerts.size).toBe(1);
    expect(service.stats()).toMatchObject({ pendingWrites: 0, saved: 1, failedSaves: 1 });
    await service.close();
  });

  it('saves a storm of 1 000 new alerts in one saveAlerts call', async () => {
    const { service, store } = await serviceWith();
    service.observe(
      Array.from({ length: 1000 }, (_, i) => ({ domain: 'sensor', id: `S${i}`, ts: T0, fields: { pm25: 150 } })),
    );
    await service.flush();
    expect(store.savedBatches.map((ids) => ids.length)).toEqual([1000]);
    expect(store.alerts.size).toBe(1000);
    expect(service.stats()).toMatchObject({ pendingWrites: 0, saved: 1000, failedSaves: 0 });
  });

  it('coalesces several changes of one alert into one save', async () => {
    const { service, store, emitted, pm25 } = await serviceWith();
    pm25('S1', 150);
    await service.ack(emitted[0]!.id, 'lan');
    await service.note(emitted[0]!.id, 'lan', 'x');
    await service.flush();
    expect(store.saveCalls).toBe(1);
    expect(store.alerts.get(emitted[0]!.id)?.history).toHaveLength(3);
  });
});

describe('moves shared by several nodes', () => {
  /** Two services over one store, both holding the same firing alert loaded from it. */
  const twoNodes = async () => {
    const store = new FakeAlertsStore();
    const origin = await serviceWith([PM25_RULE], { store });
    origin.pm25('S1', 150);
    const id = origin.emitted[0]!.id;
    await origin.service.close();
    const a = await serviceWith([PM25_RULE], { store });
    const b = await serviceWith([PM25_RULE], { store });
    expect(a.service.getAlert(id).state).toBe('firing');
    expect(b.service.getAlert(id).state).toBe('firing');
    return { store, id, a, b };
  };

  it('of two acks made at once from the same version, exactly one wins and the other gets a 409', async () => {
    const { store, id, a, b } = await twoNodes();
    const results = await Promise.allSettled([a.service.ack(id, 'lan'), b.service.ack(id, 'minh')]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ name: 'AlertsError', status: 409, code: 'conflict' });
    // Both moves reached the compare-and-set from version 1; the store took one.
    expect(store.casCalls.map((c) => `${c.basedOn}:${c.stored}`)).toEqual(['1:true', '1:false']);
    const winner = (won[0] as PromiseFulfilledResult<Alert>).value;
    const stored = store.alerts.get(id)!;
    expect(stored).toEqual(winner);
    expect(stored.state).toBe('acknowledged');
    expect(stored.history!.map((e) => `${e.action}:${e.by}`)).toEqual([
      'fire:system',
      `ack:${winner.history!.at(-1)!.by}`,
    ]);
    // Only the winner told its listeners.
    expect([...a.emitted, ...b.emitted].map((x) => x.state)).toEqual(['acknowledged']);
    // The loser's next move starts from the stored version, not its stale copy.
    const [loser, loserName] = results[0].status === 'rejected' ? [a, 'lan'] : [b, 'minh'];
    await expect(loser.service.ack(id, loserName)).rejects.toMatchObject({ status: 409 });
    const noted = await loser.service.note(id, loserName, 'seen it');
    expect(noted.history!.map((e) => e.action)).toEqual(['fire', 'ack', 'note']);
    expect(loser.service.getAlert(id)).toEqual(noted);
    expect(store.alerts.get(id)).toEqual(noted);
  });

  it('a node moves an alert another node already moved, and finds it as the store has it', async () => {
    const { store, id, a, b } = await twoNodes();
    await a.service.ack(id, 'lan');
    expect(b.service.getAlert(id).state).toBe('firing');
    expect(await b.service.findAlert(id)).toMatchObject({ state: 'acknowledged' });
    const resolved = await b.service.resolve(id, 'minh', 'fixed');
    expect(resolved.history!.map((e) => `${e.action}:${e.by}`)).toEqual(['fire:system', 'ack:lan', 'resolve:minh']);
    expect(await a.service.findAlert(id)).toEqual(resolved);
    await expect(a.service.ack(id, 'lan')).rejects.toMatchObject({ status: 409 });
    expect(await a.service.findAlert('nope')).toBeUndefined();
    // A late save of an older version does not undo a newer one.
    await a.service.flush();
    await b.service.flush();
    expect(store.alerts.get(id)).toEqual(resolved);
  });
});

describe('rules', () => {
  it('creates a rule with a slug id, rejects a duplicate id (409) and names the bad key (400)', async () => {
    const { service, store } = await serviceWith([]);
    const rule = await service.createRule({
      name: 'Mực nước cao',
      domain: 'sensor',
      condition: { absent: '5m' },
      severity: 'info',
    });
    expect(rule.id).toMatch(/^muc-nuoc-cao-[0-9a-f]{6}$/);
    expect(rule).toMatchObject({ enabled: true, condition: { absent: 300_000 } });
    expect(store.rules.get(rule.id)).toEqual(rule);
    await expect(service.createRule({ ...PM25_RULE, id: rule.id })).rejects.toMatchObject({ status: 409 });
    await expect(
      service.createRule({ ...PM25_RULE, id: 'x', condition: { field: 'pm25', op: '>', value: 100, clear: 120 } }),
    ).rejects.toMatchObject({ status: 400, issues: [{ path: 'condition.clear' }] });
    await expect(service.createRule({ ...PM25_RULE, id: 'x', severity: 'huge' })).rejects.toMatchObject({
      status: 400,
      issues: [{ path: 'severity' }],
    });
  });

  it('config rules cannot be deleted; disabling or deleting a rule resolves its open alerts', async () => {
    const { service, emitted, pm25 } = await serviceWith();
    await expect(service.deleteRule('pm25-high')).rejects.toMatchObject({ status: 409, code: 'conflict' });
    pm25('S1', 150);
    await service.replaceRule('pm25-high', { ...PM25_RULE, enabled: false });
    expect(emitted.at(-1)).toMatchObject({
      state: 'resolved',
      history: expect.arrayContaining([expect.objectContaining({ note: 'rule disabled' })]) as unknown,
    });
    pm25('S1', 150);
    expect(emitted).toHaveLength(2);

    const rule = await service.createRule({ ...PM25_RULE, id: 'other' });
    pm25('S2', 150);
    await service.deleteRule(rule.id);
    expect(emitted.at(-1)).toMatchObject({ ruleId: 'other', state: 'resolved' });
    expect(() => service.getRule('other')).toThrow(/does not exist/);
  });

  it('keeps open alerts of a replaced rule and re-judges them under the new condition', async () => {
    const { service, emitted, pm25 } = await serviceWith();
    pm25('S1', 150);
    await service.replaceRule('pm25-high', { ...PM25_RULE, condition: { field: 'pm25', op: '>', value: 200 } });
    expect(emitted).toHaveLength(1);
    pm25('S1', 150, T0 + 1);
    expect(emitted.at(-1)).toMatchObject({ state: 'resolved' });
    await expect(service.replaceRule('pm25-high', { ...PM25_RULE, id: 'other' })).rejects.toMatchObject({
      status: 400,
      issues: [{ path: 'id' }],
    });
    await expect(service.replaceRule('missing', PM25_RULE)).rejects.toMatchObject({ status: 404 });
  });
});
