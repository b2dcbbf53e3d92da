import { describe, expect, it } from 'vitest';
import { PM25_RULE, serviceWith, T0 } from './service-harness.js';

const CONFLICT = { name: 'AlertsError', status: 409, code: 'conflict' };
const NOT_FOUND = { name: 'AlertsError', status: 404, code: 'not_found' };

describe('alert lifecycle', () => {
  it('keeps exactly one alert per (rule, entity) under a burst of 1 000 messages', async () => {
    const { service, store, emitted, pm25 } = await serviceWith();
    for (let i = 0; i < 1000; i++) pm25('S1', 150 + (i % 7), T0 + i);
    await service.flush();
    expect(emitted).toHaveLength(1);
    expect(await service.queryAlerts({})).toHaveLength(1);
    expect(store.alerts.size).toBe(1);
    expect(emitted[0]).toMatchObject({
      ruleId: 'pm25-high',
      entityId: 'S1',
      state: 'firing',
      severity: 'warning',
      value: 150,
    });
  });

  it('walks firing → acknowledged → resolved with an audit trail, emitting and saving each change', async () => {
    const { service, store, emitted, clock, pm25 } = await serviceWith();
    pm25('S1', 150);
    const id = emitted[0]!.id;
    clock.advance(1000);
    await service.assign(id, 'team-north', 'lan');
    await service.ack(id, 'lan', 'on my way');
    await service.note(id, 'lan', 'filter clogged');
    const resolved = await service.resolve(id, 'lan', 'replaced filter');
    expect(resolved.state).toBe('resolved');
    expect(resolved.assignee).toBe('team-north');
    expect(resolved.history!.map((e) => `${e.action}:${e.by}`)).toEqual([
      'fire:system',
      'assign:lan',
      'ack:lan',
      'note:lan',
      'resolve:lan',
    ]);
    expect(resolved.history![2]).toEqual({ at: T0 + 1000, by: 'lan', action: 'ack', note: 'on my way' });
    expect(emitted.map((a) => a.state)).toEqual(['firing', 'firing', 'acknowledged', 'acknowledged', 'resolved']);
    await service.flush();
    expect(store.alerts.get(id)?.state).toBe('resolved');
    // Notes stay possible on a closed alert.
    expect((await service.note(id, 'lan', 'post-mortem done')).history).toHaveLength(6);
    // Every move was compare-and-set against the version it was made from.
    expect(store.casCalls.map((c) => `${c.basedOn}:${c.stored}`)).toEqual([
      '1:true',
      '2:true',
      '3:true',
      '4:true',
      '5:true',
    ]);
    expect(store.alerts.get(id)?.history).toHaveLength(6);
  });

  it('rejects illegal moves with a 409 conflict and unknown ids with 404', async () => {
    const { service, emitted, pm25 } = await serviceWith();
    pm25('S1', 150);
    const id = emitted[0]!.id;
    await service.ack(id, 'lan');
    await expect(service.ack(id, 'lan')).rejects.toMatchObject(CONFLICT);
    await service.resolve(id, 'lan');
    await expect(service.resolve(id, 'lan')).rejects.toMatchObject(CONFLICT);
    await expect(service.ack(id, 'lan')).rejects.toMatchObject(CONFLICT);
    await expect(service.assign(id, 'x', 'lan')).rejects.toMatchObject(CONFLICT);
    await expect(service.snooze(id, T0 + 60_000, 'lan')).rejects.toMatchObject(CONFLICT);
    await expect(service.ack('nope', 'lan')).rejects.toMatchObject(NOT_FOUND);
    // A refused move changes nothing.
    expect(service.getAlert(id).history).toHaveLength(3);
  });

  it('resolves a firing or acknowledged alert by system when the condition clears', async () => {
    const { service, emitted, pm25 } = await serviceWith();
    pm25('S1', 150);
    pm25('S2', 150);
    await service.ack(emitted[1]!.id, 'lan');
    pm25('S1', 90);
    expect(emitted).toHaveLength(3);
    pm25('S1', 80);
    pm25('S2', 10);
    const [s1, s2] = [emitted[3]!, emitted[4]!];
    expect([s1.entityId, s1.state, s2.entityId, s2.state]).toEqual(['S1', 'resolved', 'S2', 'resolved']);
    expect(s1.history!.at(-1)).toMatchObject({ by: 'system', action: 'clear' });
    // The condition holding again opens a new alert.
    pm25('S1', 150);
    expect(emitted.at(-1)!.id).not.toBe(s1.id);
  });

  it('a snoozed alert comes back firing if the condition still holds when the snooze ends', async () => {
    const { service, emitted, clock, pm25 } = await serviceWith();
    pm25('S1', 150);
    const id = emitted[0]!.id;
    await service.snooze(id, T0 + 600_000, 'lan');
    service.tick(clock.advance(599_999));
    expect(service.getAlert(id).state).toBe('snoozed');
    service.tick(clock.advance(1));
    const woken = service.getAlert(id);
    expect(woken.state).toBe('firing');
    expect(woken.snoozedUntil).toBeUndefined();
    expect(woken.history!.at(-1)).toMatchObject({ action: 'unsnooze', by: 'system' });
  });

  it('a snoozed alert whose condition cleared meanwhile is resolved when the snooze ends', async () => {
    const { service, emitted, clock, pm25 } = await serviceWith();
    pm25('S1', 150);
    const id = emitted[0]!.id;
    await service.snooze(id, T0 + 600_000, 'lan');
    pm25('S1', 20);
    expect(service.getAlert(id).state).toBe('snoozed');
    service.tick(clock.advance(600_000));
    const done = service.getAlert(id);
    expect(done.state).toBe('resolved');
    expect(done.history!.map((e) => e.action)).toEqual(['fire', 'snooze', 'clear', 'unsnooze', 'resolve']);
  });

  it('rejects a snooze that ends in the past with 400', async () => {
    const { service, emitted, pm25 } = await serviceWith();
    pm25('S1', 150);
    await expect(service.snooze(emitted[0]!.id, T0 - 1, 'lan')).rejects.toThrow(/future/);
    await expect(service.snooze(emitted[0]!.id, T0 - 1, 'lan')).rejects.toMatchObject({ status: 400 });
    expect(service.getAlert(emitted[0]!.id).state).toBe('firing');
  });

  it('escalates an unacknowledged alert one step per escalateAfter, and stops at critical or on ack', async () => {
    const rule = { ...PM25_RULE, severity: 'info' as const, escalateAfter: '10m' };
    const { service, emitted, clock, pm25 } = await serviceWith([rule]);
    pm25('S1', 150);
    pm25('S2', 150);
    const [a, b] = [emitted[0]!.id, emitted[1]!.id];
    service.tick(clock.advance(599_000));
    expect(emitted).toHaveLength(2);
    service.tick(clock.advance(1000));
    expect(emitted.slice(2).map((x) => `${x.entityId}:${x.severity}`)).toEqual(['S1:warning', 'S2:warning']);
    await service.ack(b, 'lan');
    service.tick(clock.advance(600_000));
    service.tick(clock.advance(600_000));
    expect(service.getAlert(a).severity).toBe('critical');
    expect(service.getAlert(b).severity).toBe('warning');
    expect(
      service
        .getAlert(a)
        .history!.filter((e) => e.action === 'escalate')
        .map((e) => e.note),
    ).toEqual(['info → warning', 'warning → critical']);
  });
});
