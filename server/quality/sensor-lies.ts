import type { Entity, QualityFlag } from '../../contract/index.js';

/*
 * Where a sensor lies though it reports: a value stuck for hours (a frozen ADC, a cached reading),
 * a value no such sensor can measure, or a value far from what its neighbours measure at the same
 * time. Each check is cheap enough to run on every quality request over the live entities.
 */

export interface LieOptions {
  /** A numeric field unchanged this long (ms) while the entity keeps reporting is stuck. */
  stuckAfter: number;
  /** Physical ranges by domain and field, built-in ones included. */
  ranges: Record<string, Record<string, readonly [number, number]>>;
  /** Fields compared with nearby entities of the same domain. */
  neighbourFields: readonly string[];
  /** Neighbours are at most this far (m). */
  neighbourRadius: number;
}

/** What the demo city's and most cities' sensors can physically report. */
export const BUILT_IN_RANGES: Record<string, Record<string, readonly [number, number]>> = {
  sensor: { pm25: [0, 1000], pm10: [0, 2000], aqi: [0, 500], temp: [-10, 50], humidity: [0, 100], noise: [20, 140], level: [-5, 30], rain: [0, 500] },
  traffic: { speed: [0, 200], occupancy: [0, 100], flow: [0, 500] },
  health: { erWait: [0, 1440] },
  queue: { waiting: [0, 10_000], avgWait: [0, 1440] },
};

/** Neighbours needed before a value is judged against them. */
const MIN_NEIGHBOURS = 3;
const EARTH_M_PER_DEG = 111_320;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const tenths = (n: number) => Math.round(n * 10) / 10;
/** A number as Vietnamese writes it: decimal comma. */
const vi = (n: number) => String(tenths(n)).replace('.', ',');
const hours = (ms: number) => `${tenths(ms / 3_600_000)} h`;

/** The flags of each entity that has any, by `domain/id`. */
export function findLies(
  entities: readonly Entity[],
  unchanged: (entity: Entity) => ReadonlyMap<string, { value: number; since: number }> | undefined,
  options: LieOptions,
  now: number,
): Map<string, QualityFlag[]> {
  const flags = new Map<string, QualityFlag[]>();
  const add = (entity: Entity, flag: QualityFlag) => {
    const key = `${entity.domain}/${entity.id}`;
    flags.set(key, [...(flags.get(key) ?? []), flag]);
  };

  for (const entity of entities) {
    // Stuck: only while it still reports; a silent sensor is flagged as silent, not stuck.
    if (entity.status !== 'stale') {
      for (const [field, held] of unchanged(entity) ?? []) {
        if (now - held.since >= options.stuckAfter) {
          const detail = `unchanged for ${hours(now - held.since)}`;
          const reason = { vi: `không đổi trong ${vi((now - held.since) / 3_600_000)} giờ`, en: detail };
          add(entity, { kind: 'stuck', field, value: held.value, since: held.since, detail, reason });
        }
      }
    }
    const ranges = options.ranges[entity.domain] ?? {};
    for (const field in ranges) {
      const value = entity.fields[field];
      const [min, max] = ranges[field]!;
      if (typeof value === 'number' && (value < min || value > max)) {
        const detail = `outside ${min}..${max}`;
        add(entity, { kind: 'out_of_range', field, value, since: entity.ts, detail, reason: { vi: `ngoài khoảng ${vi(min)}..${vi(max)}`, en: detail } });
      }
    }
  }

  // Far from neighbours: a grid of cells one radius wide, so each entity looks at nine cells, not the city.
  const cellLat = options.neighbourRadius / EARTH_M_PER_DEG;
  for (const field of options.neighbourFields) {
    const located = entities.filter((e) => typeof e.fields[field] === 'number' && e.lat !== null && e.lon !== null && e.status !== 'stale');
    if (located.length <= MIN_NEIGHBOURS) continue;
    const cellLon = cellLat / Math.max(0.1, Math.cos(((located[0]!.lat ?? 0) * Math.PI) / 180));
    const grid = new Map<string, Entity[]>();
    const cellOf = (e: Entity) => [Math.floor(e.lat! / cellLat), Math.floor(e.lon! / cellLon)] as const;
    for (const e of located) {
      const [row, col] = cellOf(e);
      const key = `${e.domain}:${row}:${col}`;
      grid.set(key, [...(grid.get(key) ?? []), e]);
    }
    for (const e of located) {
      const [row, col] = cellOf(e);
      const values: number[] = [];
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          for (const n of grid.get(`${e.domain}:${row + dr}:${col + dc}`) ?? []) {
            if (n === e) continue;
            const dLat = (n.lat! - e.lat!) * EARTH_M_PER_DEG;
            const dLon = (n.lon! - e.lon!) * EARTH_M_PER_DEG * Math.cos((e.lat! * Math.PI) / 180);
            if (Math.hypot(dLat, dLon) <= options.neighbourRadius) values.push(n.fields[field] as number);
          }
        }
      }
      if (values.length < MIN_NEIGHBOURS) continue;
      const centre = median(values);
      const spread = median(values.map((v) => Math.abs(v - centre)));
      const value = e.fields[field] as number;
      // Far means well outside how much the neighbours differ among themselves, and by a real margin.
      if (Math.abs(value - centre) > Math.max(4 * spread, 0.5 * Math.abs(centre), 1)) {
        const detail = `neighbours' median ${tenths(centre)} (${values.length} within ${options.neighbourRadius} m)`;
        const viText = `trung vị các điểm lân cận ${vi(centre)} (${values.length} điểm trong bán kính ${options.neighbourRadius} m)`;
        add(e, { kind: 'far_from_neighbours', field, value, since: e.ts, detail, reason: { vi: viText, en: detail } });
      }
    }
  }
  return flags;
}
