import type { Observation } from '../../contract/index.js';
import { rfc3339, type ByteSink, type ExportFormat, type ExportWriter } from './format.js';

/** GeoJSON (RFC 7946): a FeatureCollection with one Point per observation that has a position. */
export const GEOJSON_FORMAT: ExportFormat = {
  extension: 'geojson',
  contentType: 'application/geo+json; charset=utf-8',
  columns: 'none',
  open(sink: ByteSink): ExportWriter {
    let first = true;
    let opened = false;
    const open = async () => {
      if (opened) return;
      opened = true;
      await sink.write('{"type":"FeatureCollection","features":[');
    };
    return {
      async write(rows: readonly Observation[]) {
        await open();
        let text = '';
        let written = 0;
        for (const obs of rows) {
          if (obs.lat === undefined || obs.lon === undefined) continue;
          const feature = {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [obs.lon, obs.lat] },
            properties: { domain: obs.domain, id: obs.id, time: rfc3339(obs.ts), fields: obs.fields },
          };
          text += (first ? '\n' : ',\n') + JSON.stringify(feature);
          first = false;
          written += 1;
        }
        if (text.length > 0) await sink.write(text);
        return written;
      },
      async end() {
        await open();
        await sink.write('\n]}\n');
      },
    };
  },
};
