import type { EntitySpec, Kind, SimEntity, WireFormat } from './entity.js';
import { CENTRE, createPath, offset, outAndBack, pointOnPath, type LatLon } from './geo.js';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import { BUS_ROUTES, GAUGE_NAMES, HOSPITALS, SERVICE_CENTRES, STREETS, THUONG_RIVER, type Ward } from './places.js';
import { createRandom, streamSeed, type Random } from './random.js';
import { createAirStation, createNoiseMeter, createWaterGauge } from './sensor-models.js';
import { createAmbulance, createHospital, createServiceCentre, type Place } from './service-models.js';
import { busStops, createBus, createJunction, type DrivenRoute } from './traffic-models.js';

/** How many of each device the demo city has before any synthetic extras. */
export const BASE_COUNTS: Readonly<Record<Kind, number>> = {
  air: 40,
  noise: 15,
  water: 8,
  junction: 30,
  bus: 20,
  hospital: 6,
  ambulance: 10,
  service: 12,
};

/** Relative reporting rate per kind: moving things report more often than hospitals and queues. */
export const WEIGHTS: Readonly<Record<Kind, number>> = {
  air: 1,
  noise: 1,
  water: 1,
  junction: 1.5,
  bus: 2,
  hospital: 0.5,
  ambulance: 2,
  service: 0.5,
};

const DOMAIN: Readonly<Record<Kind, string>> = {
  air: 'sensor',
  noise: 'sensor',
  water: 'sensor',
  junction: 'traffic',
  bus: 'traffic',
  hospital: 'health',
  ambulance: 'health',
  service: 'queue',
};

// Which wire format devices of a kind use, with shares: e.g. river gauges report through Telegraf.
const FORMATS: Readonly<Record<Kind, readonly (readonly [WireFormat, number])[]>> = {
  air: [
    ['json', 0.5],
    ['senml', 0.25],
    ['line', 0.25],
  ],
  noise: [
    ['senml', 0.6],
    ['json', 0.4],
  ],
  water: [
    ['line', 0.7],
    ['json', 0.3],
  ],
  junction: [
    ['batch', 0.7],
    ['json', 0.3],
  ],
  bus: [
    ['json', 0.8],
    ['batch', 0.2],
  ],
  hospital: [
    ['json', 0.5],
    ['batch', 0.5],
  ],
  ambulance: [['json', 1]],
  service: [
    ['batch', 0.5],
    ['json', 0.5],
  ],
};

const SYNTHETIC_FORMATS: readonly (readonly [WireFormat, number])[] = [
  ['json', 0.6],
  ['senml', 0.15],
  ['line', 0.15],
  ['batch', 0.1],
];

/** The built city: every entity in a fixed order, plus what incidents need to find their targets. */
export interface City {
  entities: SimEntity[];
  /** River gauges, upstream first. */
  gauges: SimEntity[];
  routes: DrivenRoute[];
}

function chooseFormat(shares: readonly (readonly [WireFormat, number])[], p: Random): WireFormat {
  let u = p.next();
  for (const [format, share] of shares) {
    u -= share;
    if (u < 0) return format;
  }
  return (shares[0] as readonly [WireFormat, number])[0];
}

/** The ward a point falls in, by the same test the server groups zones with; undefined outside them all. */
function wardAt(wards: readonly Ward[], p: LatLon): string | undefined {
  return wards.find((w) => booleanPointInPolygon([p.lon, p.lat], w.geometry))?.name;
}

/** A point around the centre, denser towards the middle, at most `maxM` metres out. */
function scatter(p: Random, maxM: number): LatLon {
  const radius = maxM * Math.pow(p.next(), 1.3);
  const angle = p.range(0, 2 * Math.PI);
  return offset(CENTRE, radius * Math.cos(angle), radius * Math.sin(angle));
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * Builds the demo city for a seed; `extra` synthetic air sensors (ids aq-x00001…) are appended for
 * high rates; each entity is tagged with the ward of `wards` it stands in.
 */
export function buildCity(seed: number, extra: number, wards: readonly Ward[] = []): City {
  const p = createRandom(streamSeed(seed, 0));
  const r = createRandom(streamSeed(seed, 1));
  const entities: SimEntity[] = [];
  const spec = (kind: Kind, id: string, at: LatLon, name: string, more: Record<string, string> = {}): EntitySpec => {
    const ward = wardAt(wards, at);
    return {
      domain: DOMAIN[kind],
      id,
      kind,
      lat: Math.round(at.lat * 1e6) / 1e6,
      lon: Math.round(at.lon * 1e6) / 1e6,
      tags: { name, ...(ward !== undefined ? { ward } : {}), kind, ...more },
      format: chooseFormat(FORMATS[kind], p),
      weight: WEIGHTS[kind],
    };
  };
  const streetName = (i: number): string => {
    const street = STREETS[i % STREETS.length] as string;
    return i < STREETS.length ? street : `${street} ${Math.floor(i / STREETS.length) + 1}`;
  };

  for (let i = 0; i < BASE_COUNTS.air; i++) {
    const s = spec('air', `aq-${pad(i + 1)}`, scatter(p, 5800), `Trạm quan trắc ${streetName(i)}`);
    entities.push(createAirStation(s, p, r));
  }
  for (let i = 0; i < BASE_COUNTS.noise; i++) {
    const name = `Điểm đo tiếng ồn ${streetName((i * 7 + 3) % STREETS.length)}`;
    entities.push(createNoiseMeter(spec('noise', `noise-${pad(i + 1)}`, scatter(p, 3000), name), p, r));
  }
  const river = createPath(THUONG_RIVER, false);
  const weatherPhase = p.range(0, 2 * Math.PI);
  const gauges: SimEntity[] = [];
  for (let i = 0; i < BASE_COUNTS.water; i++) {
    const at = { lat: 0, lon: 0, heading: 0 };
    pointOnPath(river, (river.length * (i + 0.5)) / BASE_COUNTS.water, at);
    const name = `Trạm thủy văn sông Thương – ${GAUGE_NAMES[i % GAUGE_NAMES.length] as string}`;
    const gauge = createWaterGauge(
      spec('water', `wl-${pad(i + 1)}`, at, name, { river: 'Sông Thương' }),
      p,
      r,
      weatherPhase,
    );
    gauges.push(gauge);
    entities.push(gauge);
  }

  for (let i = 0; i < BASE_COUNTS.junction; i++) {
    const a = STREETS[i % STREETS.length] as string;
    let j = (i * 11 + 5) % STREETS.length;
    if (j === i % STREETS.length) j = (j + 1) % STREETS.length;
    const name = `Nút giao ${a} – ${STREETS[j] as string}`;
    entities.push(createJunction(spec('junction', `jn-${pad(i + 1)}`, scatter(p, 4500), name), p, r));
  }
  const routes: DrivenRoute[] = BUS_ROUTES.map((route) => {
    const path = createPath(route.closed ? route.points : outAndBack(route.points), true);
    return { code: route.code, path, stops: busStops(path, p) };
  });
  for (let i = 0; i < BASE_COUNTS.bus; i++) {
    const k = i % routes.length;
    const route = routes[k] as DrivenRoute;
    const onRoute = Math.ceil((BASE_COUNTS.bus - k) / routes.length);
    const startS = (route.path.length * Math.floor(i / routes.length)) / onRoute + p.range(0, 200);
    const at = { lat: 0, lon: 0, heading: 0 };
    pointOnPath(route.path, startS, at);
    const info = BUS_ROUTES[k] as (typeof BUS_ROUTES)[number];
    const s = spec(
      'bus',
      `bus-${pad(i + 1)}`,
      at,
      `Xe buýt ${info.code} số ${pad(Math.floor(i / routes.length) + 1)}`,
      {
        route: info.code,
        routeName: info.name,
      },
    );
    entities.push(createBus(s, route, startS, p, r));
  }

  const hospitals: Place[] = HOSPITALS.map((h, i) => ({ id: `hosp-${pad(i + 1)}`, lat: h.lat, lon: h.lon }));
  HOSPITALS.forEach((h, i) => {
    const place = hospitals[i] as Place;
    entities.push(createHospital(spec('hospital', place.id, h, h.name, { bedsTotal: String(h.beds) }), h.beds, p, r));
  });
  for (let i = 0; i < BASE_COUNTS.ambulance; i++) {
    const home = hospitals[i % hospitals.length] as Place;
    const homeName = (HOSPITALS[i % HOSPITALS.length] as (typeof HOSPITALS)[number]).name;
    const s = spec('ambulance', `amb-${pad(i + 1)}`, home, `Xe cứu thương 115-${pad(i + 1)}`, { base: homeName });
    entities.push(createAmbulance(s, hospitals, home, r));
  }
  SERVICE_CENTRES.forEach((c, i) => {
    entities.push(createServiceCentre(spec('service', `svc-${pad(i + 1)}`, c, c.name), c.counters, p, r));
  });

  const x = createRandom(streamSeed(seed, 2));
  for (let i = 1; i <= extra; i++) {
    const at = scatter(x, 6000);
    const s: EntitySpec = {
      ...spec('air', `aq-x${pad(i, 5)}`, at, `Cảm biến bụi mịn bổ sung ${pad(i, 5)}`, { synthetic: 'true' }),
      format: chooseFormat(SYNTHETIC_FORMATS, x),
      synthetic: true,
    };
    entities.push(createAirStation(s, x, r));
  }
  return { entities, gauges, routes };
}
