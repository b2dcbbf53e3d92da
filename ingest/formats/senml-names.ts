// Which entity and which field a resolved SenML name stands for (RFC 8428 leaves names to the application).
// In order:
// 1. a base name and a name: the base name, less one trailing ':', '/' or '.', is the entity and `n` the field
//    (`bn: "urn:dev:ow:10e2073a01080063:"`, `n: "voltage"`);
// 2. a device URN (RFC 9039, `urn:dev:<type>:<id>`) is the entity; what follows a ':' or '/' after it is the
//    field (`urn:dev:ow:10e2073a0108006:current`, RFC 8428 §5.1.4);
// 3. otherwise the name splits at its last '/' ("<id>/<field>"), else, unless it is an IPv6 address (§5.2 names
//    lights "2001:db8::3"), at its last ':' ("<id>:<field>"); '.' never splits, since ids and field names
//    (pm2.5) both contain dots;
// 4. a name without a separator names a field (the entity then comes from the topic), a base name alone the entity.
// A record naming an entity but no field (§5.1.1: `n: "urn:dev:ow:10e2073a01080063"`, `u: "Cel"`) is the
// field named after its unit (fieldOfUnit).

/** RFC 9039 device URNs: MAC, 1-Wire, organisation, OS and OPS identifiers. */
const DEVICE_URN = /^urn:dev:(mac|ow|org|os|ops):[^:/]+/i;
const IPV6 = /^[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}$/;

/** Entity and field of a resolved name; `field` is '' when the name names only the entity. */
export function entityOfName(name: string, bn: string, n: string | undefined): { entity: string; field: string } {
  if (bn !== '' && n !== undefined && n !== '') return { entity: stripSeparator(bn), field: n };
  const urn = DEVICE_URN.exec(name)?.[0];
  if (urn !== undefined) {
    const rest = name.slice(urn.length);
    if (rest === '') return { entity: urn, field: '' };
    if (rest.startsWith(':') || rest.startsWith('/')) return { entity: urn, field: rest.slice(1) };
    // RFC 9039 component suffixes (`_1`) belong to the device id.
    return { entity: name, field: '' };
  }
  const slash = name.lastIndexOf('/');
  if (slash === name.length - 1) return { entity: name.slice(0, -1), field: '' };
  if (slash > 0) return { entity: name.slice(0, slash), field: name.slice(slash + 1) };
  if (IPV6.test(name)) return { entity: name, field: '' };
  const colon = name.lastIndexOf(':');
  if (colon === name.length - 1) return { entity: name.slice(0, -1), field: '' };
  if (colon > 0) return { entity: name.slice(0, colon), field: name.slice(colon + 1) };
  // A base name alone names the entity; a name alone names a field.
  return n === undefined || n === '' ? { entity: name, field: '' } : { entity: '', field: name };
}

function stripSeparator(name: string): string {
  const last = name.charCodeAt(name.length - 1);
  return last === 58 || last === 47 || last === 46 ? name.slice(0, -1) : name; // ':', '/', '.'
}

/** Field names for the units of RFC 8428 §12.1 whose symbol is no field name; others are cleaned up below. */
const UNIT_FIELDS: Readonly<Record<string, string>> = {
  '%': 'percent',
  '/': 'ratio',
  '%RH': 'humidity',
  '%EL': 'battery',
};

/** The field a record naming no field is stored under: its unit (`Cel`, `%RH` → humidity), or `value`. */
export function fieldOfUnit(unit: string | undefined): string {
  if (unit === undefined || unit === '') return 'value';
  const known = UNIT_FIELDS[unit];
  if (known !== undefined) return known;
  const cleaned = unit
    .replace(/%/g, 'pct_')
    .replace(/\//g, '_per_')
    .replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}
