import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../contract/entity.js';
import { EntityStore } from '../../../client/state/entity-store.js';
import { FLAG_ALERT, FLAG_HEADING, FLAG_STALE, type LayerBuffer } from '../../../client/state/layer-buffer.js';
import { OK_LINE, PM25_SCALE, STALE_LINE } from '../../../client/state/scales.js';

const T0 = 1_800_000_000_000;

function entity(domain: string, id: string, fields: Entity['fields'], extra: Partial<Entity> = {}): Entity {
  return { domain, id, ts: T0, lat: 21.27, lon: 106.19, fields, status: 'ok', ...extra };
}

function rgba(buffer: LayerBuffer, array: 'fill' | 'line', slot: number): number[] {
  return Array.from(buffer[array].subarray(slot * 4, slot * 4 + 4));
}

function slotOf(store: EntityStore, key: string): number {
  const ref = store.find(key);
  if (!ref) throw new Error(`${key} not in the store`);
  return ref.slot;
}

function newStore(): EntityStore {
  return new EntityStore({ staleAfter: (domain) => (domain === 'traffic' ? 60_000 : 120_000) });
}

describe('EntityStore', () => {
  it('puts snapshot entities on their layers by tags.kind, else by id prefix', () => {
    const store = newStore();
    store.applySnapshot(
      {
        ts: T0,
        entities: [
          entity('sensor', 'aq-1', { pm25: 5 }),
          entity('traffic', 'jn-1', { flow: 10, speed: 40 }, { tags: { kind: 'junction' } }),
          entity('traffic', 'bus-7', { speed: 20, heading: 90 }),
          entity('traffic', 'x-1', { speed: 20 }, { tags: { kind: 'bus' } }),
          entity('health', 'h-1', { bedsFree: 10, bedsTotal: 100 }, { tags: { kind: 'hospital' } }),
          entity('health', 'amb-2', { speed: 0 }),
          entity('queue', 'svc-1', { waiting: 4, avgWait: 6 }),
          entity('parking', 'p-1', { free: 3 }),
        ],
      },
      1000,
    );
    expect(store.counts()).toEqual({ sensor: 1, junction: 1, bus: 2, facility: 1, ambulance: 1, service: 1, other: 1 });
    expect(store.size).toBe(8);
    expect(store.ready).toBe(true);
    expect(store.layers.bus.keys.slice().sort()).toEqual(['traffic/bus-7', 'traffic/x-1']);
  });

  it('updates an entity in place: same slot, new colour, new version', () => {
    const store = newStore();
    store.applySnapshot(
      { ts: T0, entities: [entity('sensor', 'a', { pm25: 5 }), entity('sensor', 'b', { pm25: 5 })] },
      1000,
    );
    const sensors = store.layers.sensor;
    const slot = slotOf(store, 'sensor/b');
    const version = store.version;
    expect(rgba(sensors, 'fill', slot)).toEqual([...(PM25_SCALE.bands[0]?.color ?? [])]);

    store.applyDelta(
      { ts: T0 + 1000, seq: 1, upserts: [entity('sensor', 'b', { pm25: 42 }, { ts: T0 + 1000 })], removes: [] },
      2000,
    );

    expect(slotOf(store, 'sensor/b')).toBe(slot);
    expect(store.version).toBeGreaterThan(version);
    // 42 µg/m³ is "unhealthy for sensitive groups" (35.5–55.4).
    expect(rgba(sensors, 'fill', slot)).toEqual([...(PM25_SCALE.bands[2]?.color ?? [])]);
    expect(store.get('sensor/b')?.fields.pm25).toBe(42);
  });

  it('removes by swapping the last slot in and keeps the index right', () => {
    const store = newStore();
    const entities = ['a', 'b', 'c'].map((id, i) => entity('sensor', id, { pm25: 5 }, { lon: 106 + i / 100 }));
    store.applySnapshot({ ts: T0, entities }, 1000);
    store.applyDelta({ ts: T0, seq: 1, upserts: [], removes: ['sensor/a', 'sensor/unknown'] }, 1100);

    const sensors = store.layers.sensor;
    expect(sensors.count).toBe(2);
    expect(store.get('sensor/a')).toBeUndefined();
    for (const key of ['sensor/b', 'sensor/c']) {
      const slot = slotOf(store, key);
      expect(sensors.keys[slot]).toBe(key);
      expect(store.displayedPosition(key)?.[0]).toBeCloseTo(store.get(key)?.lon ?? 0, 4);
    }
  });

  it('keeps every slot right when an entity in the middle loses its position and comes back', () => {
    const store = newStore();
    const entities = ['a', 'b', 'c', 'd'].map((id, i) => entity('sensor', id, { pm25: 5 }, { lon: 106 + i / 100 }));
    store.applySnapshot({ ts: T0, entities }, 1000);
    // b loses its fix: d (the last slot) moves into b's slot, b is listed without a position.
    store.applyDelta(
      { ts: T0 + 1, seq: 1, upserts: [entity('sensor', 'b', { pm25: 6 }, { ts: T0 + 1, lat: null, lon: null })], removes: [] },
      1100,
    );
    const sensors = store.layers.sensor;
    expect(sensors.count).toBe(3);
    expect(store.find('sensor/b')).toBeUndefined();
    expect(store.get('sensor/b')?.fields.pm25).toBe(6);
    expect(store.counts().sensor).toBe(4);
    // d, now in b's old slot, turns unhealthy: its own slot changes colour, nobody else's.
    store.applyDelta(
      { ts: T0 + 2, seq: 2, upserts: [entity('sensor', 'd', { pm25: 300 }, { ts: T0 + 2, lon: 106.5 })], removes: [] },
      1200,
    );
    const dSlot = slotOf(store, 'sensor/d');
    expect(sensors.keys[dSlot]).toBe('sensor/d');
    expect(sensors.entities[dSlot]?.fields.pm25).toBe(300);
    expect(sensors.positions[dSlot * 2]).toBeCloseTo(106.5, 4);
    for (const key of ['sensor/a', 'sensor/c']) {
      const slot = slotOf(store, key);
      expect(sensors.keys[slot]).toBe(key);
      expect(sensors.entities[slot]?.fields.pm25).toBe(5);
    }
    // b reports a fix again: placed at the end, out of `unplaced`.
    store.applyDelta(
      { ts: T0 + 3, seq: 3, upserts: [entity('sensor', 'b', { pm25: 7 }, { ts: T0 + 3, lon: 106.7 })], removes: [] },
      1300,
    );
    expect(store.unplaced.size).toBe(0);
    expect(slotOf(store, 'sensor/b')).toBe(3);
    expect(store.displayedPosition('sensor/b')?.[0]).toBeCloseTo(106.7, 4);
    expect(store.size).toBe(4);
    // A snapshot replaces all: the old handles must not point into the new layers.
    store.applySnapshot({ ts: T0 + 4, entities: [entity('sensor', 'c', { pm25: 8 }, { ts: T0 + 4 })] }, 1400);
    expect(store.size).toBe(1);
    expect(slotOf(store, 'sensor/c')).toBe(0);
    expect(store.find('sensor/a')).toBeUndefined();
    expect(store.get('sensor/c')?.fields.pm25).toBe(8);
  });

  it('counts entities without a position and places them once they report one', () => {
    const store = newStore();
    store.applySnapshot(
      { ts: T0, entities: [entity('queue', 'svc-1', { waiting: 3 }, { lat: null, lon: null })] },
      1000,
    );
    expect(store.counts().service).toBe(1);
    expect(store.layers.service.count).toBe(0);

    store.applyDelta({ ts: T0, seq: 1, upserts: [entity('queue', 'svc-1', { waiting: 4 })], removes: [] }, 1100);
    expect(store.counts().service).toBe(1);
    expect(store.layers.service.count).toBe(1);
    expect(store.unplaced.size).toBe(0);

    // And back: a report without a position takes it off the map but keeps it counted.
    store.applyDelta(
      {
        ts: T0 + 1,
        seq: 2,
        upserts: [entity('queue', 'svc-1', { waiting: 5 }, { ts: T0 + 1, lat: null, lon: null })],
        removes: [],
      },
      1200,
    );
    expect(store.layers.service.count).toBe(0);
    expect(store.counts().service).toBe(1);
    expect(store.get('queue/svc-1')?.fields.waiting).toBe(5);
  });

  it('moves an entity to another layer when its kind changes', () => {
    const store = newStore();
    store.applySnapshot(
      { ts: T0, entities: [entity('traffic', 'v-1', { speed: 1 }, { tags: { kind: 'junction' } })] },
      1000,
    );
    store.applyDelta(
      { ts: T0, seq: 1, upserts: [entity('traffic', 'v-1', { speed: 30 }, { tags: { kind: 'bus' } })], removes: [] },
      1100,
    );
    expect(store.layers.junction.count).toBe(0);
    expect(store.layers.bus.count).toBe(1);
    expect(store.size).toBe(1);
  });

  it('draws stale entities hollow and grey, from the server status or from their age', () => {
    const store = newStore();
    store.applySnapshot(
      {
        ts: T0,
        entities: [entity('sensor', 'a', { pm25: 5 }, { status: 'stale' }), entity('sensor', 'b', { pm25: 5 })],
      },
      1000,
    );
    const sensors = store.layers.sensor;
    const a = slotOf(store, 'sensor/a');
    const b = slotOf(store, 'sensor/b');
    expect((sensors.flags[a] ?? 0) & FLAG_STALE).toBeTruthy();
    expect(rgba(sensors, 'fill', a)[3]).toBe(0);
    expect(rgba(sensors, 'line', a)).toEqual([...STALE_LINE]);
    expect(rgba(sensors, 'line', b)).toEqual([...OK_LINE]);

    // Two minutes and a bit later on the client clock nothing new arrived: b turns stale too.
    expect(store.sweepStale(1000 + 121_000)).toBe(1);
    expect((sensors.flags[b] ?? 0) & FLAG_STALE).toBeTruthy();

    // Fresh data brings it back.
    const fresh = entity('sensor', 'b', { pm25: 6 }, { ts: T0 + 122_000 });
    store.applyDelta({ ts: T0 + 122_000, seq: 1, upserts: [fresh], removes: [] }, 1000 + 122_000);
    expect((sensors.flags[b] ?? 0) & FLAG_STALE).toBe(0);
  });

  it('keeps the alert count through updates and removals', () => {
    const store = newStore();
    store.applySnapshot(
      {
        ts: T0,
        entities: [entity('sensor', 'a', { pm25: 300 }, { status: 'alert' }), entity('sensor', 'b', { pm25: 300 })],
      },
      1000,
    );
    expect(store.layers.sensor.alertCount).toBe(1);
    store.applyDelta(
      { ts: T0, seq: 1, upserts: [entity('sensor', 'b', { pm25: 300 }, { status: 'alert' })], removes: [] },
      1100,
    );
    expect(store.layers.sensor.alertCount).toBe(2);
    store.applyDelta({ ts: T0, seq: 2, upserts: [entity('sensor', 'a', { pm25: 10 })], removes: ['sensor/b'] }, 1200);
    expect(store.layers.sensor.alertCount).toBe(0);
    expect((store.layers.sensor.flags[slotOf(store, 'sensor/a')] ?? 0) & FLAG_ALERT).toBe(0);
  });

  it('glides a bus from where it is drawn to its new fix over the gap between fixes', () => {
    const store = newStore();
    const bus = entity('traffic', 'bus-1', { speed: 30, heading: 90 }, { lon: 106.1, lat: 21.2 });
    store.applySnapshot({ ts: T0, entities: [bus] }, 1000);
    expect((store.layers.bus.flags[0] ?? 0) & FLAG_HEADING).toBeTruthy();
    expect(store.layers.bus.angle[0]).toBe(-90);

    const moved = { ...bus, ts: T0 + 1000, lon: 106.2 };
    store.applyDelta({ ts: T0 + 1000, seq: 1, upserts: [moved], removes: [] }, 5000);
    expect(store.displayedPosition('traffic/bus-1')?.[0]).toBeCloseTo(106.1, 5);

    expect(store.stepMotion(5500)).toBe(true);
    expect(store.displayedPosition('traffic/bus-1')?.[0]).toBeCloseTo(106.15, 4);
    expect(store.stepMotion(6000)).toBe(false);
    expect(store.displayedPosition('traffic/bus-1')?.[0]).toBeCloseTo(106.2, 4);
  });

  it('keeps the newer copy when an older one arrives later, but takes status changes at the same time', () => {
    const store = newStore();
    store.applySnapshot({ ts: T0, entities: [] }, T0);
    store.applyDelta(
      { ts: T0, seq: 1, upserts: [entity('sensor', 'aq-1', { pm25: 50 }, { ts: T0 + 2000 })], removes: [] },
      T0,
    );
    store.applyDelta(
      { ts: T0, seq: 2, upserts: [entity('sensor', 'aq-1', { pm25: 10 }, { ts: T0 + 1000 })], removes: [] },
      T0,
    );
    expect(store.get('sensor/aq-1')?.fields.pm25).toBe(50);
    store.applyDelta(
      {
        ts: T0,
        seq: 3,
        upserts: [entity('sensor', 'aq-1', { pm25: 50 }, { ts: T0 + 2000, status: 'alert' })],
        removes: [],
      },
      T0,
    );
    expect(store.get('sensor/aq-1')?.status).toBe('alert');
  });

  it('moves fixed entities at once and counts sequence gaps', () => {
    const store = newStore();
    store.applySnapshot({ ts: T0, entities: [entity('sensor', 'a', { pm25: 5 }, { lon: 106.1 })] }, 1000);
    store.applyDelta(
      { ts: T0, seq: 7, upserts: [entity('sensor', 'a', { pm25: 5 }, { lon: 106.3 })], removes: [] },
      1100,
    );
    expect(store.displayedPosition('sensor/a')?.[0]).toBeCloseTo(106.3, 4);
    store.applyDelta({ ts: T0, seq: 8, upserts: [], removes: [] }, 1200);
    store.applyDelta({ ts: T0, seq: 10, upserts: [], removes: [] }, 1300);
    expect(store.seqGaps).toBe(1);
  });

  it('applies 10 000 upserts per second without reallocating per update', () => {
    const store = newStore();
    const entities = Array.from({ length: 10_000 }, (_, i) =>
      entity(
        i % 2 ? 'sensor' : 'traffic',
        `e-${i}`,
        { pm25: i % 300, speed: i % 60, heading: i % 360 },
        {
          lon: 106 + (i % 100) / 500,
          lat: 21 + Math.floor(i / 100) / 500,
          ...(i % 2 ? {} : { tags: { kind: i % 4 ? 'junction' : 'bus' } }),
        },
      ),
    );
    store.applySnapshot({ ts: T0, entities }, 1000);
    const positions = store.layers.sensor.positions;
    const second = (round: number) => {
      const updated = entities.map((e) => ({ ...e, ts: T0 + round * 1000, fields: { ...e.fields, pm25: 50 + round } }));
      const started = performance.now();
      for (let tick = 0; tick < 10; tick++) {
        const batch = updated.slice(tick * 1000, (tick + 1) * 1000);
        store.applyDelta(
          { ts: T0 + round * 1000, seq: round * 10 + tick, upserts: batch, removes: [] },
          1000 + round * 1000 + tick * 100,
        );
      }
      return performance.now() - started;
    };
    second(1); // warm-up: let the JIT settle before measuring
    const elapsed = second(2);
    expect(store.size).toBe(10_000);
    expect(store.layers.sensor.positions).toBe(positions);
    // A second's worth of updates must cost a small part of the second (20–70 ms measured here).
    expect(elapsed).toBeLessThan(300);
  });
});
