import { describe, expect, it } from 'vitest';
import { createLiveState } from '../../server/live/live-state.js';

describe('live state', () => {
  const staleAfter = (domain: string) => (domain === 'traffic' ? 1000 : 60_000);

  it('merges fields and keeps the last position per entity', () => {
    let now = 10_000;
    const state = createLiveState(staleAfter, () => now);
    state.apply([{ domain: 'sensor', id: 'a', ts: 1, lat: 21, lon: 106, fields: { pm25: 5 } }]);
    state.apply([{ domain: 'sensor', id: 'a', ts: 2, fields: { noise: 60 }, tags: { district: 'n' } }]);
    expect(state.get('sensor/a')).toEqual({
      domain: 'sensor',
      id: 'a',
      ts: 2,
      lat: 21,
      lon: 106,
      fields: { pm25: 5, noise: 60 },
      tags: { district: 'n' },
      status: 'ok',
    });
    expect([...state.takeDirty()]).toEqual(['sensor/a']);
    expect(state.takeDirty().size).toBe(0);
    now += 1;
  });

  it('keeps the same id in two domains apart, by key, count, status and dirty set', () => {
    const state = createLiveState(staleAfter, () => 0);
    state.apply([
      { domain: 'sensor', id: 'x1', ts: 1, fields: { pm25: 5 } },
      { domain: 'traffic', id: 'x1', ts: 1, fields: { speed: 40 } },
      { domain: 'sensor', id: 'x2', ts: 1, fields: { pm25: 7 } },
    ]);
    expect(state.size()).toBe(3);
    expect(state.get('sensor/x1')?.fields).toEqual({ pm25: 5 });
    expect(state.get('traffic/x1')?.fields).toEqual({ speed: 40 });
    expect(state.get('x1')).toBeUndefined();
    expect(state.get('parking/x1')).toBeUndefined();
    expect(new Set(state.takeDirty())).toEqual(new Set(['sensor/x1', 'traffic/x1', 'sensor/x2']));
    state.setAlertCount('traffic', 'x1', 1);
    expect(state.get('traffic/x1')?.status).toBe('alert');
    expect(state.get('sensor/x1')?.status).toBe('ok');
    expect([...state.takeDirty()]).toEqual(['traffic/x1']);
    expect(state.countByDomainAndStatus()).toEqual({
      sensor: { ok: 2, stale: 0, alert: 0 },
      traffic: { ok: 0, stale: 0, alert: 1 },
    });
    expect([...state.all()].map((e) => `${e.domain}/${e.id}`).sort()).toEqual(['sensor/x1', 'sensor/x2', 'traffic/x1']);
  });

  it('ignores older readings for the live view', () => {
    const state = createLiveState(staleAfter, () => 0);
    state.apply([{ domain: 'sensor', id: 'a', ts: 10, fields: { pm25: 5 } }]);
    state.apply([{ domain: 'sensor', id: 'a', ts: 9, fields: { pm25: 99 } }]);
    expect(state.get('sensor/a')?.fields.pm25).toBe(5);
  });

  it('marks silent entities stale per domain, and alerts take precedence', () => {
    let now = 0;
    const state = createLiveState(staleAfter, () => now);
    state.apply([
      { domain: 'traffic', id: 'j', ts: 0, fields: { flow: 1 } },
      { domain: 'sensor', id: 's', ts: 0, fields: { pm25: 1 } },
    ]);
    state.takeDirty();
    now = 1500;
    expect(state.markStale(now)).toBe(1);
    expect(state.get('traffic/j')?.status).toBe('stale');
    expect(state.get('sensor/s')?.status).toBe('ok');
    expect([...state.takeDirty()]).toEqual(['traffic/j']);
    state.setAlertCount('traffic', 'j', 1);
    expect(state.get('traffic/j')?.status).toBe('alert');
    state.setAlertCount('traffic', 'j', 0);
    expect(state.get('traffic/j')?.status).toBe('stale');
    expect(state.countByDomainAndStatus()).toEqual({
      traffic: { ok: 0, stale: 1, alert: 0 },
      sensor: { ok: 1, stale: 0, alert: 0 },
    });
  });
  it('hands out at most a limit of dirty keys, the longest waiting first, and keeps the rest', () => {
    const state = createLiveState(staleAfter, () => 0);
    state.apply(['a', 'b', 'c', 'd', 'e'].map((id) => ({ domain: 'sensor', id, ts: 1, fields: { v: 1 } })));
    expect([...state.takeDirty(2)]).toEqual(['sensor/a', 'sensor/b']);
    // A key changed again while waiting keeps its place; a new key queues behind the rest.
    state.apply([
      { domain: 'sensor', id: 'f', ts: 2, fields: { v: 2 } },
      { domain: 'sensor', id: 'c', ts: 2, fields: { v: 2 } },
      { domain: 'sensor', id: 'a', ts: 2, fields: { v: 2 } },
    ]);
    expect([...state.takeDirty(3)]).toEqual(['sensor/c', 'sensor/d', 'sensor/e']);
    expect([...state.takeDirty(3)]).toEqual(['sensor/f', 'sensor/a']);
    expect(state.takeDirty(3).size).toBe(0);
    expect(state.get('sensor/c')?.fields.v).toBe(2);
  });
});
