import { describe, expect, it } from 'vitest';
import { layerKindOf } from '../../../client/state/layer-kinds.js';
import {
  BEDS_SCALE,
  NOISE_SCALE,
  PM25_SCALE,
  QUEUE_SCALE,
  TRAFFIC_SCALE,
  UNKNOWN_COLOR,
  WATER_SCALE,
  bandOf,
} from '../../../client/state/scales.js';
import { lookOf, mainField } from '../../../client/state/style.js';
import { allVisible, parseVisibility } from '../../../client/state/ui-state.js';

describe('layer kinds', () => {
  it('prefers tags.kind, then the id prefix, then the domain default', () => {
    expect(layerKindOf({ domain: 'traffic', id: 'bus-01' })).toBe('bus');
    expect(layerKindOf({ domain: 'traffic', id: 'bus-01', tags: { kind: 'junction' } })).toBe('junction');
    expect(layerKindOf({ domain: 'traffic', id: 'J12' })).toBe('junction');
    expect(layerKindOf({ domain: 'health', id: 'amb-3' })).toBe('ambulance');
    expect(layerKindOf({ domain: 'health', id: 'x', tags: { kind: 'Ambulance' } })).toBe('ambulance');
    expect(layerKindOf({ domain: 'health', id: 'bv-1', tags: { kind: 'hospital' } })).toBe('facility');
    expect(layerKindOf({ domain: 'queue', id: 'q' })).toBe('service');
    expect(layerKindOf({ domain: 'sensor', id: 's' })).toBe('sensor');
    expect(layerKindOf({ domain: 'parking', id: 'p' })).toBe('other');
    // Case-insensitive, whole tag, prefix of the id only.
    expect(layerKindOf({ domain: 'traffic', id: 'BUS-7' })).toBe('bus');
    expect(layerKindOf({ domain: 'traffic', id: 'Bu' })).toBe('junction');
    expect(layerKindOf({ domain: 'traffic', id: 'xbus' })).toBe('junction');
    expect(layerKindOf({ domain: 'traffic', id: 'j', tags: { kind: 'BUS' } })).toBe('bus');
    expect(layerKindOf({ domain: 'traffic', id: 'j', tags: { kind: 'buses' } })).toBe('junction');
    expect(layerKindOf({ domain: 'health', id: 'AMB9' })).toBe('ambulance');
    expect(layerKindOf({ domain: 'health', id: 'a@b' })).toBe('facility');
  });
});

describe('scales', () => {
  it('puts PM2.5 readings in the AQI bands', () => {
    const label = (v: number) => bandOf(PM25_SCALE.bands, v)?.label;
    expect(label(5)).toBe('band.good');
    expect(label(9)).toBe('band.good');
    expect(label(20)).toBe('band.moderate');
    expect(label(42)).toBe('band.usg');
    expect(label(100)).toBe('band.unhealthy');
    expect(label(200)).toBe('band.veryUnhealthy');
    expect(label(400)).toBe('band.hazardous');
    expect(label(NaN)).toBeUndefined();
  });

  it('has ascending bands ending at Infinity', () => {
    for (const scale of [PM25_SCALE, NOISE_SCALE, WATER_SCALE, TRAFFIC_SCALE, BEDS_SCALE, QUEUE_SCALE]) {
      const edges = scale.bands.map((b) => b.upTo);
      expect(edges.at(-1)).toBe(Infinity);
      expect([...edges].sort((a, b) => a - b)).toEqual(edges);
    }
  });
});

describe('lookOf', () => {
  it('colours a sensor by its main reading: PM2.5, else noise, else water level', () => {
    expect(lookOf('sensor', { pm25: 42, noise: 90 }).fill).toBe(PM25_SCALE.bands[2]?.color);
    expect(lookOf('sensor', { noise: 90 }).fill).toBe(NOISE_SCALE.bands[3]?.color);
    expect(lookOf('sensor', { level: 2.1, rain: 0 }).fill).toBe(WATER_SCALE.bands[0]?.color);
    expect(lookOf('sensor', { battery: 3 }).fill).toBe(UNKNOWN_COLOR);
  });

  it('sizes junctions by flow and colours them by speed', () => {
    const jam = lookOf('junction', { flow: 0.4, speed: 1 });
    expect(jam.line).toBe(TRAFFIC_SCALE.bands[0]?.color);
    expect(jam.fill[3]).toBeLessThan(255);
    expect(lookOf('junction', { flow: 64, speed: 45 }).size).toBe(8);
  });

  it('colours facilities by the share of free beds and gives moving vehicles a heading', () => {
    expect(lookOf('facility', { bedsFree: 5, bedsTotal: 100 }).fill).toBe(BEDS_SCALE.bands[0]?.color);
    expect(lookOf('facility', { bedsFree: 50, bedsTotal: 100 }).fill).toBe(BEDS_SCALE.bands[2]?.color);
    expect(lookOf('bus', { speed: 20, heading: 45 }).heading).toBe(45);
    expect(lookOf('bus', { speed: 0, heading: 45 }).heading).toBeNaN();
    expect(lookOf('ambulance', {}).heading).toBeNaN();
  });

  it('picks the reading an entity is known by', () => {
    expect(mainField('sensor', { temp: 30, pm25: 12 })).toBe('pm25');
    expect(mainField('sensor', { level: 3, rain: 1 })).toBe('level');
    expect(mainField('facility', { erWait: 20, bedsFree: 3 })).toBe('bedsFree');
    expect(mainField('other', { status: 'x', free: 3 })).toBe('free');
    expect(mainField('other', { status: 'x' })).toBeUndefined();
  });
});

describe('layer visibility', () => {
  it('parses persisted toggles and ignores junk', () => {
    expect(parseVisibility(null)).toEqual(allVisible());
    expect(parseVisibility('not json')).toEqual(allVisible());
    expect(parseVisibility('{"bus":false,"sensor":"no","x":false}')).toEqual({ ...allVisible(), bus: false });
  });
});
