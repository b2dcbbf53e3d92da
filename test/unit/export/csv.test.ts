import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../../contract/index.js';
import { CSV_FORMAT } from '../../../server/export/csv.js';
import type { FieldColumn } from '../../../server/export/format.js';

const COLUMNS: FieldColumn[] = [
  { field: 'pm25', name: 'pm25', kind: 'number' },
  { field: 'note', name: 'note', kind: 'string' },
  { field: 'ok', name: 'ok', kind: 'boolean' },
  { field: 'count', name: 'count', kind: 'number' },
];

const T0 = Date.UTC(2026, 10, 1, 8);
const obs = (n: number, fields: Observation['fields'], extra: Partial<Observation> = {}): Observation => ({
  domain: 'sensor',
  id: `S-${n}`,
  ts: T0 + n * 1000,
  lat: 21.27,
  lon: 106.19,
  fields,
  ...extra,
});

async function exportCsv(chunks: Observation[][]): Promise<string> {
  const parts: string[] = [];
  const writer = CSV_FORMAT.open({ write: (chunk) => Promise.resolve(void parts.push(String(chunk))) }, COLUMNS);
  for (const chunk of chunks) await writer.write(chunk);
  await writer.end();
  return parts.join('');
}

describe('CSV export writer', () => {
  it('writes a header and CRLF-ended rows across chunks, quoting only what must be', async () => {
    const text = await exportCsv([
      [obs(1, { pm25: 42.5, note: 'a, "quoted"\nline', ok: true })],
      [],
      [obs(2, { pm25: -3, note: ' padded ', ok: false }, { lat: undefined, lon: undefined }), obs(3, { count: 1 })],
    ]);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text).not.toContain('\r\n\r\n');
    expect(text.split('\r\n')[0]).toBe('time,domain,id,lat,lon,pm25,note,ok,count');
    expect(text).toContain('"a, ""quoted""\nline"');
    expect(parse(text)).toEqual([
      ['time', 'domain', 'id', 'lat', 'lon', 'pm25', 'note', 'ok', 'count'],
      ['2026-11-01T08:00:01.000Z', 'sensor', 'S-1', '21.27', '106.19', '42.5', 'a, "quoted"\nline', 'true', ''],
      ['2026-11-01T08:00:02.000Z', 'sensor', 'S-2', '', '', '-3', ' padded ', 'false', ''],
      ['2026-11-01T08:00:03.000Z', 'sensor', 'S-3', '21.27', '106.19', '', '', '', '1'],
    ]);
  });

  it('writes an integer field as the exact text it came with', async () => {
    const text = await exportCsv([[obs(1, { count: 2 ** 63 }, { integers: { count: '9223372036854775807' } })]]);
    expect(parse(text)[1]).toContain('9223372036854775807');
  });

  it('writes the header alone for an empty window', async () => {
    expect(await exportCsv([])).toBe('time,domain,id,lat,lon,pm25,note,ok,count\r\n');
  });
});
