import { describe, expect, it } from 'vitest';
import { decodeSenmlValue } from '../../ingest/formats/senml.js';
import type { DecodeContext } from '../../ingest/formats/types.js';
import { ingestPayload } from '../../ingest/ingest-payload.js';

// The examples of RFC 8428 section 5 (https://www.rfc-editor.org/rfc/rfc8428#section-5), each decoded and
// normalised as the product stores it: one observation per entity and time, entities never merged.

const NOW = Date.UTC(2024, 0, 1);
const onDomain: DecodeContext = { domain: 'sensor' };
const onEntity: DecodeContext = { domain: 'sensor', id: 'S1' };
const OW63 = 'urn:dev:ow:10e2073a01080063';

/** §5.1.1 Single Datapoint */
const SINGLE_DATAPOINT = [{ n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 23.1 }];
/** §5.1.2 Multiple Datapoints */
const MULTIPLE_DATAPOINTS = [
  { bn: 'urn:dev:ow:10e2073a01080063:', n: 'voltage', u: 'V', v: 120.1 },
  { n: 'current', u: 'A', v: 1.2 },
];
/** §5.1.2, second example: current at Tue Jun 8 18:01:16.001 UTC 2010 and each second for the 5 before. */
const MULTIPLE_DATAPOINTS_AND_TIMES = [
  { bn: 'urn:dev:ow:10e2073a0108006:', bt: 1.276020076001e9, bu: 'A', bver: 5, n: 'voltage', u: 'V', v: 120.1 },
  { n: 'current', t: -5, v: 1.2 },
  { n: 'current', t: -4, v: 1.3 },
  { n: 'current', t: -3, v: 1.4 },
  { n: 'current', t: -2, v: 1.5 },
  { n: 'current', t: -1, v: 1.6 },
  { n: 'current', v: 1.7 },
];
/** §5.1.3 Multiple Measurements: humidity with position, and battery at its own time. */
const MULTIPLE_MEASUREMENTS = [
  { bn: 'urn:dev:ow:10e2073a01080063', bt: 1.320067464e9, bu: '%RH', v: 20 },
  { u: 'lon', v: 24.30621 },
  { u: 'lat', v: 60.07965 },
  { t: 60, v: 20.3 },
  { u: 'lon', t: 60, v: 24.30622 },
  { u: 'lat', t: 60, v: 60.07965 },
  { t: 120, v: 20.7 },
  { u: 'lon', t: 120, v: 24.30623 },
  { u: 'lat', t: 120, v: 60.07966 },
  { u: '%EL', t: 150, v: 98 },
  { t: 180, v: 21.2 },
  { u: 'lon', t: 180, v: 24.30628 },
  { u: 'lat', t: 180, v: 60.07967 },
];
/** §5.1.4 Resolved Data: the previous example with every base field applied. */
const RESOLVED_DATA = MULTIPLE_MEASUREMENTS.map((record) => ({
  n: OW63,
  u: record.u ?? '%RH',
  t: 1.320067464e9 + (record.t ?? 0),
  v: record.v,
}));
/** §5.1.5 Multiple Data Types */
const MULTIPLE_DATA_TYPES = [
  { bn: 'urn:dev:ow:10e2073a01080063:', n: 'temp', u: 'Cel', v: 23.1 },
  { n: 'label', vs: 'Machine Room' },
  { n: 'open', vb: false },
  { n: 'nfc-reader', vd: 'aGkgCg' },
];
/** §5.1.6 Collection of Resources: two devices in one pack; the last record keeps the first record's base time. */
const COLLECTION_OF_RESOURCES = [
  { bn: '2001:db8::2/', bt: 1.320078429e9, n: 'temperature', u: 'Cel', v: 25.2 },
  { n: 'humidity', u: '%RH', v: 30 },
  { bn: '2001:db8::1/', n: 'temperature', u: 'Cel', v: 12.3 },
  { n: 'humidity', u: '%RH', v: 67 },
];
/** §5.2 Setting an Actuator: a thermostat set point and two switches, after a header record. */
const SETTING_AN_ACTUATOR = [
  { bn: 'urn:dev:ow:10e2073a01080063:' },
  { n: 'temp', u: 'Cel', v: 23.1 },
  { n: 'heat', u: '/', v: 1 },
  { n: 'fan', u: '/', v: 0 },
];
/** §5.2: two lights turned on at one time. */
const LIGHTS_ON = [
  { bt: 1.320078429e9, bu: '/', n: '2001:db8::3', v: 1 },
  { n: '2001:db8::4', v: 1 },
];
/** §5.2: two lights dimmed now and switched off 100 ms later. */
const LIGHTS_OFF = [
  { bt: 1.320078429e9, bu: '/', n: '2001:db8::3', v: 0.5 },
  { n: '2001:db8::4', v: 0.5 },
  { n: '2001:db8::3', t: 0.1, v: 0 },
  { n: '2001:db8::4', t: 0.1, v: 0 },
];

function decoded(pack: unknown[], ctx: DecodeContext = onDomain) {
  const result = decodeSenmlValue(pack, ctx, NOW);
  expect(result.errors).toEqual([]);
  return result.items.map((item) => item.value);
}

describe('RFC 8428 §5 examples', () => {
  it('§5.1.1: a name that is a device URN is the entity; its unit names the field', () => {
    expect(decoded(SINGLE_DATAPOINT)).toEqual([{ domain: 'sensor', id: OW63, fields: { Cel: 23.1 } }]);
  });

  it('§5.1.2: the base name is the entity, n the field, time "now"', () => {
    expect(decoded(MULTIPLE_DATAPOINTS)).toEqual([
      { domain: 'sensor', id: OW63, fields: { voltage: 120.1, current: 1.2 } },
    ]);
  });

  it('§5.1.2: times relative to the base time, one observation per time, bver 5 accepted', () => {
    const id = 'urn:dev:ow:10e2073a0108006';
    expect(decoded(MULTIPLE_DATAPOINTS_AND_TIMES)).toEqual([
      { domain: 'sensor', id, ts: 1_276_020_076_001, fields: { voltage: 120.1, current: 1.7 } },
      { domain: 'sensor', id, ts: 1_276_020_071_001, fields: { current: 1.2 } },
      { domain: 'sensor', id, ts: 1_276_020_072_001, fields: { current: 1.3 } },
      { domain: 'sensor', id, ts: 1_276_020_073_001, fields: { current: 1.4 } },
      { domain: 'sensor', id, ts: 1_276_020_074_001, fields: { current: 1.5 } },
      { domain: 'sensor', id, ts: 1_276_020_075_001, fields: { current: 1.6 } },
    ]);
  });

  it('§5.1.3: units lat/lon give the position, other units name the field of a nameless record', () => {
    const at = (s: number) => 1_320_067_464_000 + s * 1000;
    expect(decoded(MULTIPLE_MEASUREMENTS)).toEqual([
      { domain: 'sensor', id: OW63, ts: at(0), lat: 60.07965, lon: 24.30621, fields: { humidity: 20 } },
      { domain: 'sensor', id: OW63, ts: at(60), lat: 60.07965, lon: 24.30622, fields: { humidity: 20.3 } },
      { domain: 'sensor', id: OW63, ts: at(120), lat: 60.07966, lon: 24.30623, fields: { humidity: 20.7 } },
      { domain: 'sensor', id: OW63, ts: at(150), fields: { battery: 98 } },
      { domain: 'sensor', id: OW63, ts: at(180), lat: 60.07967, lon: 24.30628, fields: { humidity: 21.2 } },
    ]);
  });

  it('§5.1.4: the resolved form of §5.1.3 gives the same observations', () => {
    expect(decoded(RESOLVED_DATA)).toEqual(decoded(MULTIPLE_MEASUREMENTS));
  });

  it('§5.1.5: numbers, strings, booleans and data values (base64url, kept as sent)', () => {
    expect(decoded(MULTIPLE_DATA_TYPES)).toEqual([
      {
        domain: 'sensor',
        id: OW63,
        fields: { temp: 23.1, label: 'Machine Room', open: false, 'nfc-reader': 'aGkgCg' },
      },
    ]);
  });

  it('§5.1.6: a collection of two devices is stored as two entities, never merged', () => {
    const ts = 1_320_078_429_000;
    expect(decoded(COLLECTION_OF_RESOURCES)).toEqual([
      { domain: 'sensor', id: '2001:db8::2', ts, fields: { temperature: 25.2, humidity: 30 } },
      { domain: 'sensor', id: '2001:db8::1', ts, fields: { temperature: 12.3, humidity: 67 } },
    ]);
    // On the topic of one entity the same pack is refused as a whole, with the reason.
    const refused = decodeSenmlValue(COLLECTION_OF_RESOURCES, onEntity, NOW);
    expect(refused.items).toEqual([]);
    expect(refused.errors).toEqual([
      {
        index: 0,
        error:
          'the pack names 2 entities (2001:db8::2, 2001:db8::1) but city/<domain>/S1 is the topic of one: publish each entity on its own topic, or the pack on city/<domain>',
      },
    ]);
  });

  it('§5.2: a header record sets the base name for the records after it', () => {
    expect(decoded(SETTING_AN_ACTUATOR)).toEqual([
      { domain: 'sensor', id: OW63, fields: { temp: 23.1, heat: 1, fan: 0 } },
    ]);
    expect(decoded(SETTING_AN_ACTUATOR, onEntity)).toEqual([
      { domain: 'sensor', id: 'S1', fields: { temp: 23.1, heat: 1, fan: 0 } },
    ]);
  });

  it('§5.2: IPv6 addresses as names are entities; the ratio unit "/" names the field', () => {
    const ts = 1_320_078_429_000;
    expect(decoded(LIGHTS_ON)).toEqual([
      { domain: 'sensor', id: '2001:db8::3', ts, fields: { ratio: 1 } },
      { domain: 'sensor', id: '2001:db8::4', ts, fields: { ratio: 1 } },
    ]);
    expect(decoded(LIGHTS_OFF)).toEqual([
      { domain: 'sensor', id: '2001:db8::3', ts, fields: { ratio: 0.5 } },
      { domain: 'sensor', id: '2001:db8::4', ts, fields: { ratio: 0.5 } },
      { domain: 'sensor', id: '2001:db8::3', ts: ts + 100, fields: { ratio: 0 } },
      { domain: 'sensor', id: '2001:db8::4', ts: ts + 100, fields: { ratio: 0 } },
    ]);
  });

  it('every example passes normalisation as valid observations', () => {
    const options = { maxFutureMs: 60_000, maxPastMs: 20 * 365 * 86_400_000, domains: new Set(['sensor']) };
    const packs = [
      SINGLE_DATAPOINT,
      MULTIPLE_DATAPOINTS,
      MULTIPLE_DATAPOINTS_AND_TIMES,
      MULTIPLE_MEASUREMENTS,
      RESOLVED_DATA,
      MULTIPLE_DATA_TYPES,
      COLLECTION_OF_RESOURCES,
      SETTING_AN_ACTUATOR,
      LIGHTS_ON,
      LIGHTS_OFF,
    ];
    const counts = packs.map((pack) => {
      const outcome = ingestPayload(JSON.stringify(pack), 'senml', onDomain, options, NOW);
      expect(outcome.rejected).toEqual([]);
      return outcome.observations.length;
    });
    expect(counts).toEqual([1, 1, 6, 5, 5, 1, 2, 1, 2, 4]);
  });
});

describe('RFC 8428 §4: base fields and resolution', () => {
  it('§4.6: base value and base sum add to every later value and sum; a sum is kept as <field>_sum', () => {
    const pack = [
      { bn: 'meter-7/', bv: 1000, bs: 50, n: 'energy', v: 5, s: 10 },
      { n: 'energy', t: 60, v: 6 },
      { bs: 0, n: 'water', s: 3 },
    ];
    expect(decodeSenmlValue(pack, onDomain, NOW).items.map((item) => item.value)).toEqual([
      { domain: 'sensor', id: 'meter-7', fields: { energy: 1005, energy_sum: 60, water_sum: 3 } },
      { domain: 'sensor', id: 'meter-7', ts: NOW + 60_000, fields: { energy: 1006 } },
    ]);
  });

  it('§4.5.3: a resolved time of 2^28 s or more is absolute, below it relative to now', () => {
    const pack = [
      { bn: 'S9/', bt: 2 ** 28, n: 'a', v: 1 },
      { bt: 2 ** 28 - 1, n: 'b', v: 2 },
      { bt: -30, n: 'c', v: 3 },
    ];
    expect(decodeSenmlValue(pack, onDomain, NOW).items.map((item) => item.value)).toEqual([
      { domain: 'sensor', id: 'S9', ts: 2 ** 28 * 1000, fields: { a: 1 } },
      { domain: 'sensor', id: 'S9', ts: NOW + (2 ** 28 - 1) * 1000, fields: { b: 2 } },
      { domain: 'sensor', id: 'S9', ts: NOW - 30_000, fields: { c: 3 } },
    ]);
  });

  it('§4.3: vd is base64url text; the regular alphabet with padding is read too; anything else is refused', () => {
    const values = ['aGkgCg', 'aGkgCg==', 'a-_b', ''];
    for (const vd of values) {
      expect(decodeSenmlValue([{ n: 'S1/d', vd }], onDomain, NOW).errors).toEqual([]);
    }
    for (const vd of ['a', 'aGk=Cg', 'a b', 'é']) {
      expect(decodeSenmlValue([{ n: 'S1/d', vd }], onDomain, NOW).errors[0]?.error).toMatch(
        /^'vd' must be base64url text/,
      );
    }
  });

  it('names that are device URNs keep their colons; other names split at their last / or :', () => {
    const pack = [
      { n: 'urn:dev:mac:0024befffe804ff1:temp', v: 1 },
      { n: 'urn:dev:ow:10e2073a01080063_1', u: 'Cel', v: 2 },
      { n: 'urn:dev:org:32473-foo/level', v: 3 },
      { n: 'junction-7:count', v: 4 },
      { n: 'bus.42/speed', v: 5 },
    ];
    expect(decodeSenmlValue(pack, onDomain, NOW).items.map((item) => item.value)).toEqual([
      { domain: 'sensor', id: 'urn:dev:mac:0024befffe804ff1', fields: { temp: 1 } },
      { domain: 'sensor', id: 'urn:dev:ow:10e2073a01080063_1', fields: { Cel: 2 } },
      { domain: 'sensor', id: 'urn:dev:org:32473-foo', fields: { level: 3 } },
      { domain: 'sensor', id: 'junction-7', fields: { count: 4 } },
      { domain: 'sensor', id: 'bus.42', fields: { speed: 5 } },
    ]);
  });
});
