import type { ObservationInput } from '../contract/index.js';
import type { SimEntity, SimFieldValue } from './entity.js';

/** The parts of an entity's payloads that never change, built once so a message is a few concatenations. */
export interface WireParts {
  /** `<root>/<domain>/<id>` */
  topic: string;
  /** `,"<field>":` per field. */
  jsonKeys: string[];
  /** `,"tags":{...}` */
  jsonTags: string;
  /** `{"domain":"…","id":"…","ts":` */
  batchHead: string;
  /** `{"n":"<field>",` per field. */
  senmlKeys: string[];
  /** `<domain>,id=<id>,<tag>=<value>… ` (line protocol measurement and tag set, escaped). */
  lineHead: string;
  /** `<field>=` per field. */
  lineKeys: string[];
}

// Line protocol: tag keys and values escape commas, equals signs and spaces.
const escapeTag = (text: string): string => text.replace(/[,= ]/g, (c) => `\\${c}`);

/** Precomputes the constant parts of an entity's payloads under `root`. */
export function wireParts(entity: SimEntity, root: string): WireParts {
  const tagKeys = Object.keys(entity.tags).sort();
  const lineTags = tagKeys.map((k) => `,${escapeTag(k)}=${escapeTag(entity.tags[k] ?? '')}`).join('');
  return {
    topic: `${root}/${entity.domain}/${entity.id}`,
    jsonKeys: entity.fields.map((f) => `,${JSON.stringify(f)}:`),
    jsonTags: `,"tags":${JSON.stringify(entity.tags)}`,
    batchHead: `{"domain":${JSON.stringify(entity.domain)},"id":${JSON.stringify(entity.id)},"ts":`,
    senmlKeys: entity.fields.map((f) => `{"n":${JSON.stringify(f)},`),
    lineHead: `${entity.domain},id=${escapeTag(entity.id)}${lineTags} `,
    lineKeys: entity.fields.map((f) => `${escapeTag(f)}=`),
  };
}

const jsonValue = (v: SimFieldValue): string => (typeof v === 'string' ? JSON.stringify(v) : `${v}`);

/** A device's own message on `<root>/<domain>/<id>`: `{"ts":…,"lat":…,"lon":…,<fields>,"tags":{…}}`. */
export function encodeJson(e: SimEntity, w: WireParts, ts: number): string {
  let s = `{"ts":${ts},"lat":${e.lat},"lon":${e.lon}`;
  const v = e.values;
  for (let i = 0; i < v.length; i++) s += (w.jsonKeys[i] as string) + jsonValue(v[i] as SimFieldValue);
  return s + w.jsonTags + '}';
}

/** One element of a JSON array batch on `<root>/<domain>`: a full observation. */
export function encodeBatchItem(e: SimEntity, w: WireParts, ts: number): string {
  let s = `${w.batchHead}${ts},"lat":${e.lat},"lon":${e.lon},"fields":{`;
  const v = e.values;
  for (let i = 0; i < v.length; i++) {
    const key = w.jsonKeys[i] as string;
    s += (i === 0 ? key.slice(1) : key) + jsonValue(v[i] as SimFieldValue);
  }
  return s + '}' + w.jsonTags + '}';
}

/** A SenML pack (RFC 8428) for the device's own topic: base time in seconds, position as `lat`/`lon` records. */
export function encodeSenml(e: SimEntity, w: WireParts, ts: number): string {
  let s = `[{"bt":${ts / 1000},"n":"lat","u":"lat","v":${e.lat}},{"n":"lon","u":"lon","v":${e.lon}}`;
  const v = e.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as SimFieldValue;
    const kind = typeof x === 'number' ? '"v":' : typeof x === 'boolean' ? '"vb":' : '"vs":';
    s += ',' + (w.senmlKeys[i] as string) + kind + jsonValue(x) + '}';
  }
  return s + ']';
}

/** One InfluxDB line-protocol line as Telegraf sends it: numbers as floats, ns timestamp. */
export function encodeLine(e: SimEntity, w: WireParts, ts: number): string {
  let s = `${w.lineHead}lat=${e.lat},lon=${e.lon}`;
  const v = e.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as SimFieldValue;
    const text = typeof x === 'string' ? `"${x.replace(/["\\]/g, (c) => `\\${c}`)}"` : `${x}`;
    s += ',' + (w.lineKeys[i] as string) + text;
  }
  return `${s} ${ts}000000`;
}

/** The observation object posted over HTTP. */
export function toObservation(e: SimEntity, ts: number): ObservationInput {
  const fields: Record<string, SimFieldValue> = {};
  for (let i = 0; i < e.fields.length; i++) fields[e.fields[i] as string] = e.values[i] as SimFieldValue;
  return { domain: e.domain, id: e.id, ts, lat: e.lat, lon: e.lon, fields, tags: e.tags };
}
