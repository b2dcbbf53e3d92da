import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../contract/entity.js';
import {
  applyFrame,
  applyState,
  createLineSplitter,
  isFullState,
} from '../../../client/features/replay/replay-frames.js';
import { FLAG_STALE } from '../../../client/state/layer-buffer.js';
import { EntityStore } from '../../../client/state/entity-store.js';

const T0 = 1_800_000_000_000;

function sensor(id: string, pm25: number, ts: number, extra: Partial<Entity> = {}): Entity {
  return { domain: 'sensor', id, ts, lat: 21.27, lon: 106.19, fields: { pm25 }, status: 'ok', ...extra };
}

describe('replay frames applied to a store', () => {
  it('a full state replaces everything and sets the store clock to the past moment', () => {
    const store = new EntityStore();
    store.applySnapshot({ ts: T0 + 9_000_000, entities: [sensor('live-only', 1, T0 + 9_000_000)] }, 1000);
    applyState(store, { at: T0, entities: [sensor('a', 10, T0 - 5_000)] }, 2000);
    expect(store.get('sensor/live-only')).toBeUndefined();
    expect(store.get('sensor/a')?.fields.pm25).toBe(10);
    expect(store.serverTime(2000)).toBe(T0);
    // Five seconds old at the past moment: not stale.
    const ref = store.find('sensor/a');
    expect(((ref?.buffer.flags[ref.slot] ?? 0) & FLAG_STALE) === 0).toBe(true);
  });

  it('a change line removes, upserts and moves the clock to its ts', () => {
    const store = new EntityStore();
    applyState(store, { at: T0, entities: [sensor('a', 10, T0), sensor('b', 20, T0)] }, 0);
    applyFrame(store, { ts: T0 + 60_000, upserts: [sensor('a', 42, T0 + 59_000)], removes: ['sensor/b'] }, 500);
    expect(store.get('sensor/a')?.fields.pm25).toBe(42);
    expect(store.get('sensor/b')).toBeUndefined();
    expect(store.size).toBe(1);
    expect(store.serverTime(500)).toBe(T0 + 60_000);
  });

  it('keeps an entity stale when it was stale then', () => {
    const store = new EntityStore({ staleAfter: () => 60_000 });
    applyState(store, { at: T0, entities: [sensor('old', 1, T0 - 120_000)] }, 0);
    const ref = store.find('sensor/old');
    expect(((ref?.buffer.flags[ref.slot] ?? 0) & FLAG_STALE) !== 0).toBe(true);
  });

  it('tells the first line from change lines', () => {
    expect(isFullState({ ts: T0, at: T0, entities: [], alerts: [] })).toBe(true);
    expect(isFullState({ ts: T0, upserts: [], removes: [], alerts: [] })).toBe(false);
  });
});

describe('NDJSON line splitter', () => {
  it('returns whole lines and keeps a split line for the next chunk', () => {
    const splitter = createLineSplitter();
    expect(splitter.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(splitter.push(':2}\n\n{"c":3}')).toEqual(['{"b":2}']);
    expect(splitter.end()).toEqual(['{"c":3}']);
    expect(splitter.end()).toEqual([]);
  });
});
