// The synthetic city of the browser benchmark, shared by the page and the worker that plays the server.
import type { Entity } from '../../contract/entity.js';

export const CENTRE = { lon: 106.194, lat: 21.273 };

/**
 * Entity i at update `step`: one in five a bus (glides between fixes, heading), the rest mobile air
 * sensors; every one moves a few metres and changes its reading each update; one in 500 is in alert.
 */
export function entityAt(i: number, step: number, ts: number): Entity {
  const lon = CENTRE.lon + (((i * 7919) % 10_000) / 10_000 - 0.5) * 0.3 + (((i + step) % 7) - 3) * 1e-5;
  const lat = CENTRE.lat + (((i * 104_729) % 10_000) / 10_000 - 0.5) * 0.2 + (((i + 3 * step) % 5) - 2) * 1e-5;
  const status = i % 500 === 0 ? 'alert' : 'ok';
  if (i % 5 === 0) {
    return {
      domain: 'traffic',
      id: `bus-${i}`,
      ts,
      lat,
      lon,
      fields: { speed: 20 + ((i + step) % 30), heading: (i * 37 + step * 5) % 360 },
      status,
    };
  }
  return { domain: 'sensor', id: `aq-${i}`, ts, lat, lon, fields: { pm25: 5 + ((i + step) % 120) }, status };
}
