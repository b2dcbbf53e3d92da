/** A square ward 0.01° on a side with its south-west corner at (lat, lon), as GeoJSON. */
export const squareWard = (lat: number, lon: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [lon, lat],
      [lon + 0.01, lat],
      [lon + 0.01, lat + 0.01],
      [lon, lat + 0.01],
      [lon, lat],
    ],
  ],
});

/** Two neighbouring wards for tests of zone access (`map.zones`), and a point inside each. */
export const WARD_A = { id: 'ward-a', name: { vi: 'Phường A', en: 'Ward A' }, geometry: squareWard(21.27, 106.19) };
export const WARD_B = { id: 'ward-b', name: { vi: 'Phường B', en: 'Ward B' }, geometry: squareWard(21.29, 106.19) };
export const IN_A = { lat: 21.275, lon: 106.195 };
export const IN_B = { lat: 21.295, lon: 106.195 };
