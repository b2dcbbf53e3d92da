import { describe, expect, it } from 'vitest';
import type { Bbox, Entity, EntityStatus } from '../../contract/index.js';
import { collectPart, createSnapshotMerge, filterEntities, type SnapshotPart } from '../../server/live/snapshot-merge.js';

function mergeParts(parts: SnapshotPart[]): Map<string, Entity> {
  const merge = createSnapshotMerge();
  for (const part of parts) merge.addPart(part);
  return new Map(merge.entities().map((e) => [`${e.domain}/${e.id}`, e]));
}

const INSIDE: [number, number] = [21.27, 106.19];
const OUTSIDE: [number, number] = [21.5, 106.5];
const BBOX: Bbox = [106.1, 21.2, 106.3, 21.4];

function entity(id: string, ts: number, at: [number, number] | null, value: number, status: EntityStatus = 'ok'): Entity {
  return { domain: 'sensor', id, ts, lat: at?.[0] ?? null, lon: at?.[1] ?? null, fields: { pm25: value }, status };
}

describe('cluster snapshot merge', () => {
  it('keeps the copy with the latest ts, whichever node holds it', () => {
    const nodeA = collectPart([entity('a', 10, INSIDE, 1), entity('b', 30, INSIDE, 1)], { layers: ['sensor'] });
    const nodeB = collectPart([entity('a', 20, INSIDE, 2), entity('b', 25, INSIDE, 2), entity('c', 5, INSIDE, 2)], { layers: ['sensor'] });
    const merged = mergeParts([nodeA, nodeB]);
    expect([...merged.keys()].sort()).toEqual(['sensor/a', 'sensor/b', 'sensor/c']);
    expect(merged.get('sensor/a')?.fields.pm25).toBe(2);
    expect(merged.get('sensor/b')?.fields.pm25).toBe(1);
    expect(merged.get('sensor/c')?.fields.pm25).toBe(2);
  });

  it('prefers the earlier part on equal ts', () => {
    const merged = mergeParts([{ entities: [entity('a', 10, INSIDE, 1)], outside: [] }, { entities: [entity('a', 10, INSIDE, 2)], outside: [] }]);
    expect(merged.get('sensor/a')?.fields.pm25).toBe(1);
  });

  it('leaves out an entity whose newest copy moved out of the bbox, and keeps one that moved in', () => {
    const query = { layers: ['sensor'], bbox: BBOX };
    const nodeA = collectPart([entity('left', 10, INSIDE, 1), entity('came', 10, OUTSIDE, 1)], query);
    const nodeB = collectPart([entity('left', 20, OUTSIDE, 2), entity('came', 20, INSIDE, 2), entity('nowhere', 5, null, 2)], query);
    expect(nodeA.outside).toEqual([['sensor/came', 10, false]]);
    const merged = mergeParts([nodeA, nodeB]);
    expect([...merged.keys()]).toEqual(['sensor/came']);
    expect(merged.get('sensor/came')?.fields.pm25).toBe(2);
  });

  it('selects only the requested layers', () => {
    const traffic: Entity = { ...entity('j', 1, INSIDE, 1), domain: 'traffic' };
    const part = collectPart([entity('s', 1, INSIDE, 1), traffic], { layers: ['traffic'] });
    expect(part.entities.map((e) => e.id)).toEqual(['j']);
    expect(filterEntities([entity('s', 1, INSIDE, 1), traffic], {}).map((e) => e.id)).toEqual(['s', 'j']);
    expect(filterEntities([entity('s', 1, OUTSIDE, 1), traffic], { bbox: BBOX }).map((e) => e.id)).toEqual(['j']);
  });

  it("shows 'alert' while any node holds an open alert, without touching that node's object", () => {
    const older = entity('a', 10, INSIDE, 200, 'alert');
    const merged = mergeParts([{ entities: [older], outside: [] }, { entities: [entity('a', 20, INSIDE, 5, 'stale')], outside: [] }]);
    expect(merged.get('sensor/a')).toMatchObject({ ts: 20, status: 'alert', fields: { pm25: 5 } });
    expect(older.status).toBe('alert');
    const fromOutside = mergeParts([{ entities: [entity('b', 20, INSIDE, 5)], outside: [] }, { entities: [], outside: [['sensor/b', 10, true]] }]);
    expect(fromOutside.get('sensor/b')?.status).toBe('alert');
  });

  it('applies deltas seen while gathering when they are no older than the newest copy', () => {
    const merge = createSnapshotMerge();
    merge.addPart({ entities: [entity('a', 20, INSIDE, 1), entity('b', 20, INSIDE, 1), entity('gone', 1, INSIDE, 1)], outside: [['sensor/out', 20, false]] });
    merge.applyDeltas([
      { ts: 0, seq: 1, upserts: [entity('a', 10, INSIDE, 9), entity('b', 20, INSIDE, 9, 'stale'), entity('new', 30, INSIDE, 9)], removes: [] },
      // An older copy inside the bbox (another node's tick) must not bring back an entity now outside it.
      { ts: 0, seq: 2, upserts: [entity('out', 10, INSIDE, 9)], removes: ['sensor/gone'] },
    ]);
    const merged = new Map(merge.entities().map((e) => [e.id, e]));
    expect(merged.get('a')?.fields.pm25).toBe(1);
    expect(merged.get('b')).toMatchObject({ fields: { pm25: 9 }, status: 'stale' });
    expect(merged.get('new')?.fields.pm25).toBe(9);
    expect(merged.has('gone')).toBe(false);
    expect(merged.has('out')).toBe(false);
  });
});
