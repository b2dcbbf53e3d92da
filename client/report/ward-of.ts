import type { ZoneInfo } from '../../contract/api.js';
import { zoneAt } from '../features/alerts/zones.js';

/**
 * The ward a point falls in, or undefined outside all of them. The server decides the stored zone on
 * its own; this only names the ward under the map so the citizen can check the pin before confirming.
 */
export function wardOf(wards: readonly ZoneInfo[], lat: number, lon: number): ZoneInfo | undefined {
  return zoneAt(wards, lat, lon);
}
