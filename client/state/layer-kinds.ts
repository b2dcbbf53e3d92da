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
  const tagged = entity.tags?.kind?.toLowerCase();
  const id = entity.id.toLowerCase();
  switch (entity.domain) {
    case 'sensor':
      return 'sensor';
    case 'traffic':
      if (tagged !== undefined) return tagged === 'bus' ? 'bus' : 'junction';
      return id.startsWith('bus') ? 'bus' : 'junction';
    case 'health':
      if (tagged !== undefined) return tagged === 'ambulance' ? 'ambulance' : 'facility';
      return id.startsWith('amb') ? 'ambulance' : 'facility';
    case 'queue':
      return 'service';
    default:
      return 'other';
  }
}
