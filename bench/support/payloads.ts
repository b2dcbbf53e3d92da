// Synthetic city traffic in every payload shape of wire contract v1 (docs/DESIGN.md), ~150-byte
// observations like docs/PERFORMANCE.md's yardsticks. Each observation carries `sentAt` (wall-clock ms,
// set when the message is built) so that latency can be read off the live deltas.

/** The payload shapes the benchmarks sweep. */
export type PayloadShape = 'json' | 'senml' | 'json-batch' | 'line-batch';

export const PAYLOAD_SHAPES: readonly PayloadShape[] = ['json', 'senml', 'json-batch', 'line-batch'];

/** What each shape is, for tables. */
export const SHAPE_LABELS: Record<PayloadShape, string> = {
  json: 'JSON per entity',
  senml: 'SenML per entity',
  'json-batch': 'JSON arrays of 100',
  'line-batch': 'line protocol, 100 lines',
};

/** One MQTT message and how many observations it holds. */
export interface LoadMessage {
  topic: string;
  payload: string;
  observations: number;
}

export interface LoadSpec {
  shape: PayloadShape;
  topicRoot: string;
  /** Distinct entities, cycled through. */
  entities: number;
  /** Time of the first round of observations (ms); each later round is `spacingMs` later, so no point overwrites another. */
  startTs: number;
  /** Time between two observations of one entity (default 1 000 ms). */
  spacingMs?: number;
  /** Observations per batch message. */
  batchSize?: number;
  domain?: string;
}

const DISTRICTS = ['bac-giang', 'da-mai', 'dinh-ke', 'hoang-van-thu', 'le-loi', 'tho-xuong', 'tran-phu', 'xuong-giang'];

/** The entity id of entity number `n` (fixed width, so every payload of a shape has the same size). */
export function entityId(n: number): string {
  return `S${String(n).padStart(5, '0')}`;
}

interface Reading {
  id: string;
  ts: number;
  lat: number;
  lon: number;
  pm25: number;
  pm10: number;
  noise: number;
  rain: number;
  district: string;
}

function reading(index: number, spec: LoadSpec): Reading {
  const e = index % spec.entities;
  const round = Math.floor(index / spec.entities);
  // A deterministic spread around the city centre (21.273 N, 106.194 E) and slowly varying values.
  const lat = 21.273 + ((e * 7919) % 1000) / 25_000 - 0.02;
  const lon = 106.194 + ((e * 104_729) % 1000) / 25_000 - 0.02;
  return {
    id: entityId(e),
    ts: spec.startTs + Math.round(round * (spec.spacingMs ?? 1000)),
    lat: Math.round(lat * 1e6) / 1e6,
    lon: Math.round(lon * 1e6) / 1e6,
    pm25: Math.round((20 + ((e + round) % 60) + 0.37) * 100) / 100,
    pm10: Math.round((40 + ((e * 3 + round) % 80) + 0.21) * 100) / 100,
    noise: Math.round((50 + ((e + round * 7) % 30) + 0.5) * 10) / 10,
    rain: ((e + round) % 5) / 10,
    district: DISTRICTS[e % DISTRICTS.length] ?? 'bac-giang',
  };
}

function jsonObservation(r: Reading, sentAt: number): string {
  return (
    `{"id":"${r.id}","ts":${r.ts},"lat":${r.lat},"lon":${r.lon},"fields":{"pm25":${r.pm25},"pm10":${r.pm10},` +
    `"noise":${r.noise},"rain":${r.rain},"sentAt":${sentAt}},"tags":{"district":"${r.district}"}}`
  );
}

function line(r: Reading, domain: string, sentAt: number): string {
  return (
    `${domain},id=${r.id},district=${r.district} pm25=${r.pm25},pm10=${r.pm10},noise=${r.noise},rain=${r.rain},` +
    `lat=${r.lat},lon=${r.lon},sentAt=${sentAt} ${r.ts}`
  );
}

/** Observations per message for a shape. */
export function observationsPerMessage(spec: LoadSpec): number {
  return spec.shape === 'json' || spec.shape === 'senml' ? 1 : (spec.batchSize ?? 100);
}

/**
 * Builds message number `seq` of a load: per-entity shapes put one observation on
 * `<root>/<domain>/<id>`, batch shapes put `batchSize` consecutive observations on `<root>/<domain>`.
 */
export function buildMessage(spec: LoadSpec, seq: number, sentAt: number): LoadMessage {
  const domain = spec.domain ?? 'sensor';
  const sent = Math.round(sentAt * 1000) / 1000;
  switch (spec.shape) {
    case 'json': {
      const r = reading(seq, spec);
      const payload =
        `{"ts":${r.ts},"lat":${r.lat},"lon":${r.lon},"pm25":${r.pm25},"pm10":${r.pm10},"noise":${r.noise},` +
        `"rain":${r.rain},"sentAt":${sent},"tags":{"district":"${r.district}"}}`;
      return { topic: `${spec.topicRoot}/${domain}/${r.id}`, payload, observations: 1 };
    }
    case 'senml': {
      const r = reading(seq, spec);
      const payload =
        `[{"bt":${r.ts / 1000},"n":"pm25","v":${r.pm25}},{"n":"pm10","v":${r.pm10}},{"n":"noise","v":${r.noise}},` +
        `{"n":"rain","v":${r.rain}},{"n":"lat","v":${r.lat}},{"n":"lon","v":${r.lon}},{"n":"sentAt","v":${sent}}]`;
      return { topic: `${spec.topicRoot}/${domain}/${r.id}`, payload, observations: 1 };
    }
    case 'json-batch':
    case 'line-batch': {
      const size = spec.batchSize ?? 100;
      const parts: string[] = [];
      for (let i = 0; i < size; i++) {
        const r = reading(seq * size + i, spec);
        parts.push(spec.shape === 'json-batch' ? jsonObservation(r, sent) : line(r, domain, sent));
      }
      const payload = spec.shape === 'json-batch' ? `[${parts.join(',')}]` : parts.join('\n');
      return { topic: `${spec.topicRoot}/${domain}`, payload, observations: size };
    }
  }
}

/** Observation number `index` as the product's Observation shape (store benchmarks). */
export function observationOf(index: number, spec: LoadSpec) {
  const r = reading(index, spec);
  return {
    domain: spec.domain ?? 'sensor',
    id: r.id,
    ts: r.ts,
    lat: r.lat,
    lon: r.lon,
    fields: { pm25: r.pm25, pm10: r.pm10, noise: r.noise, rain: r.rain },
    tags: { district: r.district },
  };
}
