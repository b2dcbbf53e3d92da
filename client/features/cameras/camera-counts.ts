import type { ConsoleConfig } from '../../../contract/api.js';
import { t } from '../../i18n/i18n.js';
import type { EntityStore } from '../../state/entity-store.js';
import type { LayerKind } from '../../state/layer-kinds.js';

/** The camera domain: drawn as its own layer out of the store's generic ("other") layer. */
export const CAMERA_DOMAIN = 'camera';

/** What an entity is, for people: a camera is drawn from the generic layer but is no "other entity". */
export function kindLabel(domain: string, kind: LayerKind): string {
  return domain === CAMERA_DOMAIN ? t('camera.layer') : t(`kind.${kind}`);
}

/** How the generic layer's entities split: cameras, domains that are no map layer (`layer: false`), the rest. */
export interface OtherCounts {
  camera: number;
  hidden: number;
}

/** Counts cameras and entities of `layer: false` domains in the generic layer, placed or not. */
export function otherCounts(store: EntityStore, domains: ConsoleConfig['domains']): OtherCounts {
  const counts: OtherCounts = { camera: 0, hidden: 0 };
  const add = (domain: string) => {
    if (domain === CAMERA_DOMAIN) counts.camera++;
    else if (domains[domain]?.layer === false) counts.hidden++;
  };
  const buffer = store.layers.other;
  for (let slot = 0; slot < buffer.count; slot++) {
    const entity = buffer.entities[slot];
    if (entity) add(entity.domain);
  }
  for (const entity of store.unplaced.values()) add(entity.domain);
  return counts;
}

/** The domains the config marks as no map layer. */
export function layerlessDomains(config: Pick<ConsoleConfig, 'domains'>): string[] {
  return Object.entries(config.domains)
    .filter(([, domain]) => domain.layer === false)
    .map(([name]) => name);
}
