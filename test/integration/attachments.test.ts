import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AuditEntry, Report, ReportCreated } from '../../contract/index.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { IN_A, WARD_A, WARD_B } from '../support/wards.js';

/*
 * Photos of reports and alerts through the real product, made with sharp in the test: the type
 * comes from the bytes, the served copy is small and carries no EXIF (no GPS), the original is kept
 * byte for byte, and only those who may read the item get either.
 */


const PM_RULE = {
  id: 'pm-photo',
  name: 'PM2.5 high',
  domain: 'sensor',
  match: { ids: ['ph-1'] },
  condition: { field: 'pm25', op: '>', value: 100 },
  severity: 'warning',
};

/** A photo as a phone takes it: 3000 × 2000 with the place in its EXIF GPS block. */
const phonePhoto = () =>
  sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#4a8' } })
    .withExif({
      IFD0: { Make: 'TestPhone' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '21/1 16/1 30/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '106/1 11/1 40/1',
      },
    })
    .jpeg()
    .toBuffer();

describe('photos', () => {
  let product: TestIoc;
  let fieldA: ApiSession;
  let fieldB: ApiSession;
  let reportId: string;

  const upload = (session: ApiSession, path: string, bytes: Buffer, name: string, type: string) => {
    const form = new FormData();
    form.append('photo', new Blob([bytes], { type }), name);
    return session.fetch(path, { method: 'POST', body: form });
  };
  const reportPhoto = (bytes: Buffer, name: string, type: string, session: ApiSession = fieldA) =>
    upload(session, `/api/v1/reports/${reportId}/attachments`, bytes, name, type);
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  beforeAll(async () => {
    product = await startTestIoc({ mqtt: { port: 0 }, map: { zones: [WARD_A, WARD_B] }, rules: [PM_RULE] });
    fieldA = await signIn(product.baseUrl, 'field-a', await product.api.createUser('field-a', ['field'], ['ward-a']));
    fieldB = await signIn(product.baseUrl, 'field-b', await product.api.createUser('field-b', ['field'], ['ward-b']));
    const res = await fetch(`${product.baseUrl}/api/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'road', description: 'Ổ gà lớn giữa đường', ...IN_A }),
    });
    expect(res.status).toBe(201);
    reportId = ((await res.json()) as ReportCreated).id;
  });
  afterAll(async () => {
    await product?.stop();
  });

  it('keeps the original byte for byte and serves a copy at most 1280 px without EXIF or GPS', async () => {
    const original = await phonePhoto();
    expect((await sharp(original).metadata()).exif).toBeDefined();
    const res = await reportPhoto(original, 'IMG_0001.jpg', 'image/jpeg');
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as { id: string; url: string };
    expect(created.url).toBe(`/api/v1/attachments/${created.id}`);

    const served = await fieldA.fetch(created.url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-disposition')).toBe(`inline; filename="${created.id}.jpg"`);
    const copy = Buffer.from(await served.arrayBuffer());
    const meta = await sharp(copy).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width, meta.height)).toBe(1280);
    expect(meta.width / meta.height).toBeCloseTo(1.5, 2);
    expect(meta.exif).toBeUndefined();
    expect(copy.includes(Buffer.from('Exif\0\0'))).toBe(false);
    expect(copy.includes(Buffer.from('TestPhone'))).toBe(false);

    const kept = await fieldA.fetch(`${created.url}?original=1`);
    expect(kept.status).toBe(200);
    expect(kept.headers.get('content-disposition')).toBe(`attachment; filename="${created.id}-original.jpg"`);
    expect(Buffer.from(await kept.arrayBuffer()).equals(original)).toBe(true);

    const report = (await (await fieldA.fetch(`/api/v1/reports/${reportId}`)).json()) as Report;
    expect(report.attachments.find((a) => a.id === created.id)).toMatchObject({
      contentType: 'image/jpeg',
      bytes: original.length,
      width: 3000,
      height: 2000,
      by: 'field-a',
    });
    expect(report.history.at(-1)).toMatchObject({ action: 'attach', by: 'field-a', note: created.id });
  });

  it('turns a photo upright from its EXIF orientation before dropping the EXIF', async () => {
    // Phones store the sensor's landscape pixels and an orientation tag (6: turn 90° clockwise).
    const sideways = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#a52' } })
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    expect((await sharp(sideways).metadata()).orientation).toBe(6);
    const res = await reportPhoto(sideways, 'portrait.jpg', 'image/jpeg');
    expect(res.status).toBe(201);
    const { id, url } = (await res.json()) as { id: string; url: string };
    const meta = await sharp(Buffer.from(await (await fieldA.fetch(url)).arrayBuffer())).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([200, 300, undefined]);
    const report = (await (await fieldA.fetch(`/api/v1/reports/${reportId}`)).json()) as Report;
    expect(report.attachments.find((a) => a.id === id)).toMatchObject({ width: 200, height: 300 });
  });

  it('takes the type from the bytes: PNG bytes named .jpg are stored and served as PNG', async () => {
    const png = await sharp({ create: { width: 200, height: 100, channels: 4, background: '#f00a' } })
      .png()
      .toBuffer();
    const res = await reportPhoto(png, 'photo.jpg', 'image/jpeg');
    expect(res.status).toBe(201);
    const { url, id } = (await res.json()) as { id: string; url: string };
    const served = await fieldA.fetch(url);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect((await sharp(Buffer.from(await served.arrayBuffer())).metadata()).format).toBe('png');
    const report = (await (await fieldA.fetch(`/api/v1/reports/${reportId}`)).json()) as Report;
    expect(report.attachments.find((a) => a.id === id)?.contentType).toBe('image/png');
  });

  it('refuses HTML or PDF named photo.jpg with 415 and the reason, and 11 MB with 413', async () => {
    const html = await reportPhoto(
      Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'),
      'photo.jpg',
      'image/jpeg',
    );
    expect(html.status).toBe(415);
    expect((await errorOf(html)).message).toContain('image/jpeg, image/png, image/webp');
    const pdf = await reportPhoto(
      Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n', 'latin1'),
      'photo.jpg',
      'image/jpeg',
    );
    expect(pdf.status).toBe(415);
    expect((await errorOf(pdf)).message).toContain('application/pdf');
    const big = Buffer.concat([
      await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
        .jpeg()
        .toBuffer(),
      Buffer.alloc(11 * 1024 * 1024),
    ]);
    const tooBig = await reportPhoto(big, 'big.jpg', 'image/jpeg');
    expect(tooBig.status).toBe(413);
    expect((await errorOf(tooBig)).message).toContain('10 MB');
    const notMultipart = await fieldA.fetch(`/api/v1/reports/${reportId}/attachments`, {
      method: 'POST',
      json: { photo: 'x' },
    });
    expect(notMultipart.status).toBe(415);
    const report = (await (await fieldA.fetch(`/api/v1/reports/${reportId}`)).json()) as Report;
    expect(report.attachments.every((a) => a.contentType === 'image/jpeg' || a.contentType === 'image/png')).toBe(true);
  });

  it('serves a photo only to those who may read its item: 401 without identity, 403 to a field user of another zone', async () => {
    const res = await reportPhoto(
      await sharp({ create: { width: 50, height: 50, channels: 3, background: '#123' } })
        .webp()
        .toBuffer(),
      'x.webp',
      'image/webp',
    );
    expect(res.status).toBe(201);
    const { url } = (await res.json()) as { url: string };
    expect((await fetch(`${product.baseUrl}${url}`)).status).toBe(401);
    const other = await fieldB.fetch(url);
    expect(other.status).toBe(403);
    expect((await errorOf(other)).code).toBe('forbidden');
    expect((await fieldB.fetch(`${url}?original=1`)).status).toBe(403);
    expect((await reportPhoto(await phonePhoto(), 'a.jpg', 'image/jpeg', fieldB)).status).toBe(404);
    const served = await product.api.fetch(url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/webp');
    expect((await product.api.fetch('/api/v1/attachments/att-none')).status).toBe(404);
  });

  it('adds a photo to an alert of the zone, recorded on its history and in the audit log', async () => {
    const ingest = await fetch(`${product.baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ domain: 'sensor', id: 'ph-1', ts: Date.now(), ...IN_A, fields: { pm25: 180 } }]),
    });
    expect(ingest.status).toBe(202);
    const alert = await waitFor(async () => {
      const list = (await (await fieldA.fetch('/api/v1/alerts?ruleId=pm-photo')).json()) as { alerts: Alert[] };
      return list.alerts[0];
    }, 'the alert in ward A');
    expect(alert.zone).toBe('ward-a');
    const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#777' } })
      .jpeg()
      .toBuffer();
    expect((await upload(fieldB, `/api/v1/alerts/${alert.id}/attachments`, photo, 'p.jpg', 'image/jpeg')).status).toBe(
      404,
    );
    const res = await upload(fieldA, `/api/v1/alerts/${alert.id}/attachments`, photo, 'p.jpg', 'image/jpeg');
    expect(res.status, await res.clone().text()).toBe(201);
    const { id, url } = (await res.json()) as { id: string; url: string };
    const stored = (await (await fieldA.fetch(`/api/v1/alerts/${alert.id}`)).json()) as Alert;
    expect(stored.attachments?.map((a) => a.id)).toEqual([id]);
    expect(stored.history?.at(-1)).toMatchObject({ action: 'attach', by: 'field-a' });
    const served = await fieldA.fetch(url);
    expect((await sharp(Buffer.from(await served.arrayBuffer())).metadata()).width).toBe(1280);
    expect((await fieldB.fetch(url)).status).toBe(403);
    await waitFor(async () => {
      const audit = (await (await product.api.fetch('/api/v1/audit?action=alert.attach')).json()) as {
        entries: AuditEntry[];
      };
      return audit.entries.some((e) => e.target === alert.id && e.actor === 'field-a' && e.details.attachment === id);
    }, 'alert.attach in the audit log');
  });
});
