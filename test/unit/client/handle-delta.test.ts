import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../contract/entity.js';
import { ColumnDeltaError, encodeColumnDelta, type ColumnDelta } from '../../../contract/live-columns.js';
import { HandleTable, type HandleDelta } from '../../../client/live/handle-table.js';
import { EntityStore } from '../../../client/state/entity-store.js';
import { expectSameLayers } from './support/same-layers.js';

// The live worker's numbering (client/live/handle-table.ts) and the store applying numbered deltas: they
// must leave the store exactly as the `deltaColumns` event applied by id does, whatever comes and goes.

const T0 = 1_800_000_000_000;

/** The attachment as the worker transfers it: an ArrayBuffer of its own. */
function resolve(table: HandleTable, delta: ColumnDelta): HandleDelta {
  return table.resolve(delta, new Uint8Array(delta.numbers as Uint8Array).buffer);
}

function sameStores(viaIds: EntityStore, viaHandles: EntityStore, keys: string[]): void {
  expect(viaHandles.size).toBe(viaIds.size);
  expect(viaHandles.lastSeq).toBe(viaIds.lastSeq);
  for (const key of keys) expect([key, viaHandles.get(key)]).toEqual([key, viaIds.get(key)]);
  expectSameLayers(viaHandles, viaIds);
}

const IDS = ['t-1', 't-2', 'bus-3', 'aq-4', 'aq-5', 'h-6', 'amb-7'];
const DOMAIN_OF: Record<string, string> = { t: 'traffic', bus: 'traffic', aq: 'sensor', h: 'health', amb: 'health' };
const keyOf = (id: string) => `${DOMAIN_OF[id.split('-')[0] as string]}/${id}`;

/** One entity's report in a step: fields, position, tags (a `kind` tag moves it to another layer) all vary. */
const report = (id: string) =>
  fc.record({
    id: fc.constant(id),
    age: fc.integer({ min: -2, max: 3 }),
    placed: fc.boolean(),
    lat: fc.double({ min: 21, max: 21.5, noNaN: true }),
    a: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }),
    b: fc.option(fc.constantFrom('open', 'closed'), { nil: undefined }),
    kind: fc.option(fc.constantFrom('bus', 'junction', 'ambulance', 'facility'), { nil: undefined }),
    status: fc.constantFrom('ok' as const, 'stale' as const, 'alert' as const),
  });

const step = fc.record({
  reports: fc.subarray(IDS).chain((ids) => fc.tuple(...ids.map(report))),
  removes: fc.subarray(IDS),
  /** The worker subscribes again (reconnect, repair): a new snapshot renumbers everything. */
  resubscribe: fc.boolean(),
});

describe('numbered deltas from the live worker', () => {
  it('leave the store exactly as deltas by id do, through removes, returns, layer changes and new snapshots', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
        const viaIds = new EntityStore();
        const viaHandles = new EntityStore();
        const table = new HandleTable();
        const current = new Map<string, Entity>();
        viaIds.applySnapshot({ ts: T0, entities: [] }, 1000);
        viaHandles.applySnapshot({ ts: T0, entities: [] }, 1000, table.reset([]));
        steps.forEach((s, n) => {
          const ts = T0 + (n + 1) * 10;
          const now = 1000 + (n + 1) * 100;
          if (s.resubscribe) {
            const entities = [...current.values()];
            viaIds.applySnapshot({ ts, entities: structuredClone(entities) }, now);
            viaHandles.applySnapshot({ ts, entities: structuredClone(entities) }, now, table.reset(entities));
          }
          const upserts = s.reports.map((r): Entity => {
            const fields: Entity['fields'] = {};
            if (r.a !== undefined) fields.a = r.a;
            if (r.b !== undefined) fields.b = r.b;
            const key = keyOf(r.id);
            return {
              domain: key.split('/')[0] as string,
              id: r.id,
              ts: ts + r.age,
              lat: r.placed ? r.lat : null,
              lon: r.placed ? 106.2 : null,
              fields,
              ...(r.kind ? { tags: { kind: r.kind } } : {}),
              status: r.status,
            };
          });
          const removes = s.removes.map(keyOf);
          for (const key of removes) current.delete(key);
          for (const entity of upserts) {
            const key = `${entity.domain}/${entity.id}`;
            const held = current.get(key);
            if (held === undefined || entity.ts >= held.ts) current.set(key, entity);
          }
          const encoded = encodeColumnDelta({ ts, seq: n + 1, upserts, removes });
          viaIds.applyColumns(encoded, now);
          viaHandles.applyHandles(resolve(table, encoded), now);
          sameStores(viaIds, viaHandles, IDS.map(keyOf));
          expect(table.size).toBe(viaHandles.size);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('send each id once, and give a removed entity’s number to the next newcomer', () => {
    const table = new HandleTable();
    const entity = (id: string): Entity => ({
      domain: 'sensor',
      id,
      ts: T0,
      lat: 21.3,
      lon: 106.2,
      fields: { pm25: 1 },
      status: 'ok',
    });
    expect(Array.from(table.reset([entity('a'), entity('b')]))).toEqual([0, 1]);
    const first = resolve(
      table,
      encodeColumnDelta({ ts: T0, seq: 1, upserts: [entity('b'), entity('c')], removes: [] }),
    );
    expect(Array.from(first.blocks[0]!.handles)).toEqual([1, 2]);
    expect(first.blocks[0]!.freshAt).toEqual([1]);
    expect(first.blocks[0]!.freshIds).toEqual(['c']);
    const second = resolve(
      table,
      encodeColumnDelta({ ts: T0, seq: 2, upserts: [entity('d'), entity('c')], removes: ['sensor/a'] }),
    );
    expect(Array.from(second.blocks[0]!.handles)).toEqual([0, 2]);
    expect(second.blocks[0]!.freshIds).toEqual(['d']);
    expect(table.size).toBe(3);
  });

  it('apply the rest and throw when a number is unknown here, so the console asks for a fresh snapshot', () => {
    const store = new EntityStore();
    const table = new HandleTable();
    const sensor = (id: string, pm25: number): Entity => ({
      domain: 'sensor',
      id,
      ts: T0 + pm25,
      lat: 21.3,
      lon: 106.2,
      fields: { pm25 },
      status: 'ok',
    });
    store.applySnapshot(
      { ts: T0, entities: [sensor('a', 1), sensor('b', 1)] },
      1000,
      table.reset([sensor('a', 1), sensor('b', 1)]),
    );
    const delta = resolve(
      table,
      encodeColumnDelta({ ts: T0, seq: 1, upserts: [sensor('a', 5), sensor('b', 6)], removes: [] }),
    );
    delta.blocks[0]!.handles[0] = 42;
    expect(() => store.applyHandles(delta, 1100)).toThrow(ColumnDeltaError);
    expect(store.get('sensor/a')?.fields.pm25).toBe(1);
    expect(store.get('sensor/b')?.fields.pm25).toBe(6);

    const uneven = resolve(
      table,
      encodeColumnDelta({ ts: T0, seq: 2, upserts: [sensor('c', 7)], removes: ['sensor/b'] }),
    );
    uneven.blocks[0]!.freshIds.push('d');
    expect(() => store.applyHandles(uneven, 1200)).toThrow(/2 ids/);
    expect(store.get('sensor/b')).toBeDefined();
    expect(store.lastSeq).toBe(1);
  });
});
