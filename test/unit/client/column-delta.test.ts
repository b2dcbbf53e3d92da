import { describe, expect, it } from 'vitest';
import type { Entity } from '../../../contract/entity.js';
import {
  ColumnDeltaError,
  columnDeltaEntities,
  encodeColumnDelta,
  readColumnDelta,
  updateFromColumns,
  type ColumnDelta,
} from '../../../contract/live-columns.js';
import { EntityStore } from '../../../client/state/entity-store.js';
import { expectSameLayers } from './support/same-layers.js';

// The `deltaColumns` layout against the JSON delta it stands for, and the store applying it in place.

const T0 = 1_800_000_000_000;

const city = (step: number): Entity[] => [
  {
    domain: 'traffic',
    id: 'bus-1',
    ts: T0 + step,
    lat: 21.2712345678901 + step * 1e-4,
    lon: 106.1987654321,
    fields: { speed: 31.5 + step, heading: 270, route: 'R12', doorsOpen: step % 2 === 0 },
    tags: { name: 'Xe buýt 12' },
    status: step === 3 ? 'alert' : 'ok',
  },
  {
    domain: 'traffic',
    id: 'jn-1',
    ts: T0 + step,
    lat: 21.3,
    lon: 106.2,
    fields: { flow: 40 + step },
    tags: { kind: 'junction' },
    status: 'alert',
  },
  {
    domain: 'sensor',
    id: 'aq-1',
    ts: T0 + step,
    lat: 21.25,
    lon: 106.15,
    fields: { pm25: 12 + step, pm10: -0.000001 },
    status: 'stale',
  },
  { domain: 'health', id: 'h-1', ts: T0 + step, lat: null, lon: null, fields: { erWait: 12 }, status: 'ok' },
  { domain: 'queue', id: 'svc-1', ts: T0 + step, lat: 21.28, lon: 106.21, fields: {}, status: 'ok' },
];

/** What a Node socket.io client receives: the attachment as a Buffer at an odd offset of a larger pool. */
function overTheWire(delta: ColumnDelta): ColumnDelta {
  const { numbers, ...rest } = delta;
  const bytes = numbers as Uint8Array;
  const pool = Buffer.alloc(bytes.byteLength + 83);
  pool.set(bytes, 83);
  return { ...(JSON.parse(JSON.stringify(rest)) as Omit<ColumnDelta, 'numbers'>), numbers: pool.subarray(83) };
}

describe('column deltas', () => {
  it('carry exactly the entities of the JSON delta, numbers bit for bit', () => {
    const upserts = city(1);
    const encoded = encodeColumnDelta({ ts: T0, seq: 7, upserts, removes: ['sensor/gone'] });
    expect(encoded.blocks.map((block) => block.domain)).toEqual(['traffic', 'sensor', 'health', 'queue']);
    expect(encoded.blocks[0]?.numeric).toEqual(['speed', 'heading', 'flow']);
    expect(encoded.blocks[0]?.status).toBe('oa');
    const received = overTheWire(encoded);
    expect(received.seq).toBe(7);
    expect(received.removes).toEqual(['sensor/gone']);
    const sorted = (list: Entity[]) =>
      [...list].sort((a, b) => `${a.domain}/${a.id}`.localeCompare(`${b.domain}/${b.id}`));
    expect(sorted(columnDeltaEntities(received))).toEqual(sorted(upserts));
  });

  it('refuse columns that run past the buffer or disagree in length, with the reason', () => {
    const encoded = encodeColumnDelta({ ts: T0, seq: 1, upserts: city(0), removes: [] });
    const bytes = encoded.numbers as Uint8Array;
    expect(() => readColumnDelta({ ...encoded, numbers: bytes.subarray(0, bytes.byteLength - 8) })).toThrow(
      ColumnDeltaError,
    );
    expect(() => readColumnDelta({ ...encoded, numbers: bytes.subarray(0, bytes.byteLength - 8) })).toThrow(
      /buffer holds/,
    );
    const [first, ...rest] = encoded.blocks;
    expect(() => readColumnDelta({ ...encoded, blocks: [{ ...first!, status: 'o' }, ...rest] })).toThrow(
      /1 statuses for 2 ids/,
    );
  });

  it('update an entity in place only while its field and tag names stay the same', () => {
    const [bus] = city(0);
    const held = structuredClone(bus!);
    const next = readColumnDelta(encodeColumnDelta({ ts: T0, seq: 1, upserts: city(5).slice(0, 1), removes: [] }));
    expect(updateFromColumns(held, next[0]!, 0)).toBe(true);
    expect(held).toEqual(city(5)[0]);

    const renamed = structuredClone(bus!);
    const changed = { ...bus!, fields: { speed: 1, heading: 2, route: 'R1', occupancy: 3 } };
    const view = readColumnDelta(encodeColumnDelta({ ts: T0, seq: 1, upserts: [changed], removes: [] }));
    expect(updateFromColumns(renamed, view[0]!, 0)).toBe(false);
    expect(renamed).toEqual(bus);
    const untagged = { ...bus!, tags: undefined };
    delete untagged.tags;
    const tagView = readColumnDelta(encodeColumnDelta({ ts: T0, seq: 1, upserts: [untagged], removes: [] }));
    const tagged = structuredClone(bus!);
    expect(updateFromColumns(tagged, tagView[0]!, 0)).toBe(false);
  });

  it('leave the store exactly as the JSON delta does, keeping the objects it already holds', () => {
    const viaJson = new EntityStore();
    const viaColumns = new EntityStore();
    for (const store of [viaJson, viaColumns])
      store.applySnapshot({ ts: T0, entities: structuredClone(city(0)) }, 1000);
    const busBefore = viaColumns.get('traffic/bus-1');
    const steps = [1, 2, 3];
    for (const step of steps) {
      // The service centre leaves at step 2 and does not come back.
      const upserts = city(step).filter((e) => step < 2 || e.id !== 'svc-1');
      // A field that appears for the first time: that entity gets a new object.
      if (step === 3) upserts[2] = { ...upserts[2]!, fields: { ...upserts[2]!.fields, no2: 4 } };
      const delta = { ts: T0 + step, seq: step, upserts, removes: step === 2 ? ['queue/svc-1'] : [] };
      viaJson.applyDelta(structuredClone(delta), 1000 + step * 100);
      viaColumns.applyColumns(overTheWire(encodeColumnDelta(delta)), 1000 + step * 100);
    }
    expect(viaColumns.get('traffic/bus-1')).toBe(busBefore);
    expect(viaColumns.get('traffic/bus-1')?.fields.speed).toBe(34.5);
    expect(viaColumns.get('traffic/bus-1')?.status).toBe('alert');
    expect(viaColumns.get('sensor/aq-1')?.fields.no2).toBe(4);
    expect(viaColumns.get('queue/svc-1')).toBeUndefined();
    expect(viaColumns.size).toBe(viaJson.size);
    expect(viaColumns.seqGaps).toBe(viaJson.seqGaps);
    for (const key of ['traffic/bus-1', 'traffic/jn-1', 'sensor/aq-1', 'health/h-1'])
      expect(viaColumns.get(key)).toEqual(viaJson.get(key));
    expectSameLayers(viaColumns, viaJson);
  });

  it('never step an entity back to an older copy, and apply nothing from a malformed delta', () => {
    const store = new EntityStore();
    store.applySnapshot({ ts: T0, entities: structuredClone(city(10)) }, 1000);
    store.applyColumns(encodeColumnDelta({ ts: T0, seq: 1, upserts: city(4), removes: [] }), 1100);
    expect(store.get('traffic/bus-1')?.fields.speed).toBe(41.5);
    const encoded = encodeColumnDelta({ ts: T0, seq: 2, upserts: city(20), removes: ['traffic/jn-1'] });
    const [first, ...rest] = encoded.blocks;
    expect(() => store.applyColumns({ ...encoded, blocks: [{ ...first!, offset: 10_000 }, ...rest] }, 1200)).toThrow(
      ColumnDeltaError,
    );
    expect(store.get('traffic/jn-1')).toBeDefined();
    expect(store.get('sensor/aq-1')?.fields.pm25).toBe(22);
    expect(store.lastSeq).toBe(1);
  });
});
