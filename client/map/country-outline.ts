import type { FeatureCollection, Geometry } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countriesUrl from 'world-atlas/countries-10m.json?url';

/** ISO 3166 numeric codes: Vietnam and the neighbours drawn around it. */
const VIETNAM = '704';
const NEIGHBOURS = new Set(['156', '418', '116', '764', '104']);

export type CountryCollection = FeatureCollection<Geometry, { vn: boolean }>;

/** Vietnam's outline and its neighbours from the packaged Natural Earth 1:10m data (served by us, not the internet). */
export async function loadCountryOutlines(): Promise<CountryCollection> {
  const response = await fetch(countriesUrl);
  if (!response.ok) throw new Error(`country outlines: HTTP ${response.status}`);
  const topology = (await response.json()) as Topology<{ countries: GeometryCollection }>;
  const all = feature(topology, topology.objects.countries);
  const features: CountryCollection['features'] = [];
  for (const country of all.features) {
    const id = String(country.id);
    if (id === VIETNAM || NEIGHBOURS.has(id)) {
      features.push({ type: 'Feature', id, geometry: country.geometry, properties: { vn: id === VIETNAM } });
    }
  }
  return { type: 'FeatureCollection', features };
}
