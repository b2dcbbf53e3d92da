import type { Entity } from '../../contract/entity.js';
import type { LayerKind } from './layer-kinds.js';
import {
  AMBULANCE_COLOR,
  AQI_INDEX_BANDS,
  BEDS_SCALE,
  BUS_COLOR,
  NOISE_SCALE,
  OTHER_COLOR,
  PM10_BANDS,
  PM25_SCALE,
  QUEUE_SCALE,
  TRAFFIC_SCALE,
  UNKNOWN_COLOR,
  WATER_SCALE,
  colorOf,
  type Band,
  type Rgba,
} from './scales.js';

type Fields = Entity['fields'];

/** How one entity looks: fill colour, radius input and heading (NaN when it is not moving). */
export interface Look {
  fill: Rgba;
  /** Outline colour when it is not the default white. */
  line: Rgba | undefined;
  size: number;
  heading: number;
}

/** A numeric field, or undefined when absent or not a finite number. */
export function numField(fields: Fields, name: string): number | undefined {
  const value = fields[name];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const SENSOR_READINGS: readonly (readonly [string, readonly Band[]])[] = [
  ['pm25', PM25_SCALE.bands],
  ['aqi', AQI_INDEX_BANDS],
  ['pm10', PM10_BANDS],
  ['noise', NOISE_SCALE.bands],
  ['level', WATER_SCALE.bands],
];

const MAIN_FIELDS: Record<LayerKind, readonly string[]> = {
  sensor: ['pm25', 'aqi', 'pm10', 'noise', 'level', 'rain'],
  junction: ['speed', 'flow', 'occupancy'],
  bus: ['speed', 'passengers'],
  facility: ['bedsFree', 'erWait'],
  ambulance: ['speed'],
  service: ['waiting', 'avgWait'],
  other: [],
};

/** The reading that characterises an entity (what its colour shows and its chart opens on). */
export function mainField(kind: LayerKind, fields: Fields): string | undefined {
  for (const name of MAIN_FIELDS[kind]) if (numField(fields, name) !== undefined) return name;
  return Object.keys(fields).find((name) => numField(fields, name) !== undefined);
}

function sensorColor(fields: Fields): Rgba {
  for (const [name, bands] of SENSOR_READINGS) {
    const value = numField(fields, name);
    if (value !== undefined) return colorOf(bands, value);
  }
  return UNKNOWN_COLOR;
}

function junctionColor(fields: Fields): Rgba {
  const speed = numField(fields, 'speed');
  if (speed !== undefined) return colorOf(TRAFFIC_SCALE.bands, speed);
  const occupancy = numField(fields, 'occupancy');
  // Without a speed, lane occupancy stands in: the fuller the lanes, the slower the band.
  if (occupancy !== undefined) return colorOf(TRAFFIC_SCALE.bands, Math.max(0, 50 - occupancy * 0.6));
  return UNKNOWN_COLOR;
}

function facilityColor(fields: Fields): Rgba {
  const free = numField(fields, 'bedsFree');
  const total = numField(fields, 'bedsTotal');
  if (free === undefined) return UNKNOWN_COLOR;
  if (total !== undefined && total > 0) return colorOf(BEDS_SCALE.bands, free / total);
  return colorOf(BEDS_SCALE.bands, free <= 2 ? 0 : free <= 10 ? 0.2 : 1);
}

function headingOf(fields: Fields): number {
  const heading = numField(fields, 'heading');
  const speed = numField(fields, 'speed');
  // A parked vehicle's heading is meaningless; draw it as a dot rather than a misleading arrow.
  if (heading === undefined || (speed !== undefined && speed < 0.5)) return NaN;
  return heading;
}

const translucent = new Map<Rgba, Rgba>();

/** The same colour at 55 % alpha: junction bubbles let the map and smaller markers show through. */
function bubble(color: Rgba): Rgba {
  let faded = translucent.get(color);
  if (!faded) {
    faded = [color[0], color[1], color[2], 140];
    translucent.set(color, faded);
  }
  return faded;
}

const look: Look = { fill: UNKNOWN_COLOR, line: undefined, size: 0, heading: NaN };

/** The look of an entity on its layer. Returns a shared object: copy what you need before the next call. */
export function lookOf(kind: LayerKind, fields: Fields): Look {
  look.heading = NaN;
  look.line = undefined;
  switch (kind) {
    case 'sensor':
      look.fill = sensorColor(fields);
      look.size = 7;
      break;
    case 'junction':
      look.line = junctionColor(fields);
      look.fill = bubble(look.line);
      look.size = Math.sqrt(Math.max(0, numField(fields, 'flow') ?? 0));
      break;
    case 'facility':
      look.fill = facilityColor(fields);
      look.size = 10;
      break;
    case 'service': {
      const waiting = numField(fields, 'waiting') ?? 0;
      look.fill = colorOf(QUEUE_SCALE.bands, numField(fields, 'avgWait'));
      look.size = 7 + Math.min(10, Math.sqrt(Math.max(0, waiting)) * 1.3);
      break;
    }
    case 'bus':
      look.fill = BUS_COLOR;
      look.size = 1;
      look.heading = headingOf(fields);
      break;
    case 'ambulance':
      look.fill = AMBULANCE_COLOR;
      look.size = 1;
      look.heading = headingOf(fields);
      break;
    case 'other':
      look.fill = OTHER_COLOR;
      look.size = 6;
      break;
  }
  return look;
}
