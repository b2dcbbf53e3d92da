import type { Entity } from '../../contract/entity.js';

/** The map layers the console draws; a domain can feed more than one (traffic: junctions and buses). */
export const LAYER_KINDS = ['sensor', 'junction', 'bus', 'facility', 'ambulance', 'service', 'other'] as const;
export type LayerKind = (typeof LAYER_KINDS)[number];
export type KindCounts = Record<LayerKind, number>;

/** Layers whose entities drive around and glide between GPS fixes. */
export const MOVING_KINDS: ReadonlySet<LayerKind> = new Set<LayerKind>(['bus', 'ambulance']);

/** The domain each built-in layer belongs to (for toggles grouped by domain). */
export const KIND_DOMAIN: Record<LayerKind, string> = {
  sensor: 'sensor',
  junction: 'traffic',
  bus: 'traffic',
  facility: 'health',
  ambulance: 'health',
  service: 'queue',
  other: '',
};

/** Which layer an entity is drawn on: `tags.kind` when present, else the id prefix, else its domain's default. */
export function layerKindOf(entity: Pick<Entity, 'domain' | 'id' | 'tags'>): LayerKind {
  // Called for every entity of every delta: the lower-cased strings are made only for the domains that
  // have two layers.
  switch (entity.domain) {
    case 'sensor':
      return 'sensor';
    case 'traffic':
      return movingOrNot(entity, 'bus', 'bus') ? 'bus' : 'junction';
    case 'health':
      return movingOrNot(entity, 'ambulance', 'amb') ? 'ambulance' : 'facility';
    case 'queue':
      return 'service';
    default:
      return 'other';
  }
}

/** Whether an entity of a two-layer domain is its moving kind: by `tags.kind` when present, else by id prefix. */
function movingOrNot(entity: Pick<Entity, 'id' | 'tags'>, kind: string, idPrefix: string): boolean {
  const tagged = entity.tags?.kind;
  if (tagged !== undefined) return tagged.length === kind.length && startsWithLower(tagged, kind);
  return startsWithLower(entity.id, idPrefix);
}

/** Whether `text` starts with the lower-case ASCII `prefix`, ignoring case, with no string made (every delta, every entity). */
function startsWithLower(text: string, prefix: string): boolean {
  if (text.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    // ASCII letters differ from their lower case by the 0x20 bit; the prefixes are letters only.
    if ((text.charCodeAt(i) | 0x20) !== prefix.charCodeAt(i)) return false;
  }
  return true;
}
