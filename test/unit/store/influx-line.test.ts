import { describe, expect, it } from 'vitest';
import { observationToLine } from '../../../server/store/influx-line.js';

const TS = Date.UTC(2026, 0, 6);

describe('observationToLine', () => {
  it('writes the domain, the id tag, tags, fields and the position at ms precision', () => {
    const line = observationToLine({
      domain: 'sensor',
      id: 'S1',
      ts: TS + 0.7,
      tags: { district: 'Tran Phu' },
      fields: { pm25: 12, on: true, status: 'ok' },
      lat: 21.27,
      lon: 106.19,
    });
    expect(line).toBe(`sensor,id=S1,district=Tran\\ Phu pm25=12,on=true,status="ok",lat=21.27,lon=106.19 ${TS}`);
  });

  it('escapes measurement, tag and string field syntax', () => {
    const line = observationToLine({
      domain: 'air quality,x',
      id: 'S 1,a=b',
      ts: TS,
      tags: { 'k=1': 'v,2' },
      fields: { note: 'say "hi" \\ bye' },
    });
    expect(line).toBe(`air\\ quality\\,x,id=S\\ 1\\,a\\=b,k\\=1=v\\,2 note="say \\"hi\\" \\\\ bye" ${TS}`);
  });

  it('leaves out empty tags, the id tag, reserved field names and non-finite numbers', () => {
    const line = observationToLine({
      domain: 'sensor',
      id: 'S1',
      ts: TS,
      tags: { id: 'other', empty: '' },
      fields: { id: 'x', time: 1, lat: 2, lon: 3, nan: Number.NaN, inf: Infinity, v: -1.5 },
    });
    expect(line).toBe(`sensor,id=S1 v=-1.5 ${TS}`);
  });

  it('gives nothing for an observation with no field and no position', () => {
    expect(observationToLine({ domain: 'sensor', id: 'S1', ts: TS, fields: {} })).toBeUndefined();
    expect(observationToLine({ domain: 'sensor', id: 'S1', ts: TS, fields: { time: 5 } })).toBeUndefined();
    expect(observationToLine({ domain: 'sensor', id: 'S1', ts: TS, fields: {}, lat: 1, lon: 2 })).toBe(
      `sensor,id=S1 lat=1,lon=2 ${TS}`,
    );
  });
});
