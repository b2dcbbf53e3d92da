import type { ConsoleConfig, ZoneInfo } from '../../contract/api.js';
import type { WallScene } from '../../contract/wall.js';
import { KIND_DOMAIN, LAYER_KINDS } from '../state/layer-kinds.js';
import { allVisible, type Visibility } from '../state/ui-state.js';

export type Bounds = [[number, number], [number, number]];

/** Extends [west, south, east, north] by every vertex of a zone. */
function addZone(box: number[], zone: ZoneInfo): void {
  const polygons = zone.geometry.type === 'Polygon' ? [zone.geometry.coordinates] : zone.geometry.coordinates;
  for (const polygon of polygons) {
    for (const ring of polygon) {
      for (const [lon, lat] of ring) {
        if (lon === undefined || lat === undefined) continue;
        box[0] = Math.min(box[0] ?? Infinity, lon);
        box[1] = Math.min(box[1] ?? Infinity, lat);
        box[2] = Math.max(box[2] ?? -Infinity, lon);
        box[3] = Math.max(box[3] ?? -Infinity, lat);
      }
    }
  }
}

/** What a map scene frames: its zone, else every zone (the whole city); null when there are no zones (use centre and zoom). */
export function sceneBounds(config: ConsoleConfig, scene: Pick<WallScene, 'zone'>): Bounds | null {
  const zones = config.map.zones;
  const chosen = scene.zone === undefined ? zones : zones.filter((zone) => zone.id === scene.zone);
  const box: number[] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const zone of chosen.length > 0 ? chosen : zones) addZone(box, zone);
  const [west = Infinity, south = Infinity, east = -Infinity, north = -Infinity] = box;
  if (!(west <= east && south <= north)) return null;
  return [
    [west, south],
    [east, north],
  ];
}

/** The map layers a scene draws: those of its domains (other domains on the generic layer), or all. */
export function sceneVisibility(scene: Pick<WallScene, 'layers'>): Visibility {
  const visible = allVisible();
  if (scene.layers === undefined) return visible;
  const domains = new Set<string>(scene.layers);
  for (const kind of LAYER_KINDS) {
    visible[kind] =
      kind === 'other'
        ? [...domains].some((domain) => !Object.values(KIND_DOMAIN).includes(domain))
        : domains.has(KIND_DOMAIN[kind]);
  }
  return visible;
}
