import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry, Report, ReportCreated, ReportTrack } from '../../contract/index.js';
import { signIn, type ApiSession } from '../support/auth.js';
import { connectLive, startTestIoc, type TestIoc } from '../support/ioc.js';
import { waitFor } from '../support/ports.js';
import { IN_A, IN_B, WARD_A, WARD_B } from '../support/wards.js';

/*
 * Citizen reports through the real product: filed without an account (JSON and multipart with a
 * photo), tracked by code without personal data, seen by the field user of the zone only, moved
 * to resolved, rated once, limited per address, overdue once past the deadline.
 */

const CONTACT = { name: 'Nguyễn Văn Dân', phone: '+84 912 345 678' };
const DAY = 86_400_000;

describe('citizen reports', () => {
  let product: TestIoc;
  let fieldA: ApiSession;
  let fieldB: ApiSession;
  let analyst: ApiSession;
  let readToken: string;
  let nextAddress = 1;
  /** Each filing from its own address (the product trusts X-Forwarded-For from loopback), so the per-address limit is per test. */
  const newAddress = () => `198.51.100.${nextAddress++}`;

  const publicFetch = (path: string, init: RequestInit & { json?: unknown; from?: string } = {}) => {
    const { json, from, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('x-forwarded-for', from ?? newAddress());
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${product.baseUrl}${path}`, {
      ...rest,
      headers,
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  };
  const file = async (body: Record<string, unknown>, from?: string): Promise<ReportCreated> => {
    const res = await publicFetch('/api/v1/reports', { method: 'POST', json: body, ...(from ? { from } : {}) });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as ReportCreated;
  };
  const track = async (code: string): Promise<ReportTrack> => {
    const res = await publicFetch(`/api/v1/reports/track/${code}`);
    expect(res.status).toBe(200);
    return (await res.json()) as ReportTrack;
  };
  const getReport = async (session: ApiSession, id: string): Promise<Report> => {
    const res = await session.fetch(`/api/v1/reports/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Report;
  };
  const post = (session: ApiSession, path: string, json: unknown) => session.fetch(path, { method: 'POST', json });

  beforeAll(async () => {
    product = await startTestIoc({
      mqtt: { port: 0 },
      trustProxy: 'loopback',
      map: { zones: [WARD_A, WARD_B] },
      reports: {
        categories: [
          { id: 'rubbish', name: { vi: 'Rác thải', en: 'Rubbish' }, deadline: '24h' },
          { id: 'flooding', name: { vi: 'Ngập úng', en: 'Flooding' }, deadline: '4h' },
          { id: 'quick', name: { vi: 'Gấp', en: 'Urgent' }, deadline: '1s' },
        ],
        rateLimit: { perMinute: 3, perDay: 30 },
        maxPhotos: 2,
        overdueCheckInterval: '100ms',
      },
    });
    fieldA = await signIn(product.baseUrl, 'field-a', await product.api.createUser('field-a', ['field'], ['ward-a']));
    fieldB = await signIn(product.baseUrl, 'field-b', await product.api.createUser('field-b', ['field'], ['ward-b']));
    analyst = await signIn(product.baseUrl, 'ana', await product.api.createUser('ana', ['analyst']));
    readToken = await product.api.createToken(['read']);
  });
  afterAll(async () => {
    await product?.stop();
  });

  it('lists the categories to anyone, with both names and the deadline in ms', async () => {
    const res = await publicFetch('/api/v1/reports/categories');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      categories: { id: string; name: { vi: string; en: string }; deadline: number }[];
    };
    expect(body.categories.map((c) => c.id)).toEqual(['rubbish', 'flooding', 'quick']);
    expect(body.categories[0]).toEqual({ id: 'rubbish', name: { vi: 'Rác thải', en: 'Rubbish' }, deadline: DAY });
  });

  it('takes a report without an account and answers a tracking code; the tracking page shows no personal data', async () => {
    const before = Date.now();
    const created = await file({
      category: 'rubbish',
      description: 'Rác đổ trộm đầu ngõ 12',
      ...IN_A,
      contact: CONTACT,
    });
    expect(created.code).toMatch(/^BG-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$/);
    expect(created).toMatchObject({ status: 'received', category: 'rubbish', zone: 'ward-a' });
    expect(created.deadline).toBeGreaterThanOrEqual(before + DAY);
    expect(created.deadline).toBeLessThanOrEqual(Date.now() + DAY);

    const tracked = await track(created.code);
    expect(tracked).toMatchObject({
      code: created.code,
      category: 'rubbish',
      status: 'received',
      overdue: false,
      canRate: false,
      deadline: created.deadline,
    });
    const text = JSON.stringify(tracked);
    for (const secret of [CONTACT.name, CONTACT.phone, 'Rác đổ trộm', 'contact', 'description', 'assignee', 'history'])
      expect(text).not.toContain(secret);
    // Typed by hand: lower case, spaces instead of dashes.
    expect((await track(created.code.toLowerCase().replace(/-/g, ' '))).code).toBe(created.code);
    expect((await publicFetch('/api/v1/reports/track/BG-2222-2222')).status).toBe(404);

    const stored = await getReport(product.api, created.id);
    expect(stored).toMatchObject({
      code: created.code,
      zone: 'ward-a',
      contact: CONTACT,
      status: 'received',
      overdue: false,
    });
    expect(stored.history.map((e) => [e.action, e.by])).toEqual([['create', 'citizen']]);
  });

  it('takes a multipart report with a photo, kept and served to staff', async () => {
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#2a7' } })
      .jpeg()
      .toBuffer();
    const form = new FormData();
    form.set('report', JSON.stringify({ category: 'flooding', description: 'Ngập sâu 30 cm', ...IN_B }));
    form.append('photos', new Blob([photo], { type: 'image/jpeg' }), 'ngap.jpg');
    const res = await publicFetch('/api/v1/reports', { method: 'POST', body: form });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as ReportCreated;
    expect(created).toMatchObject({ zone: 'ward-b', category: 'flooding' });
    expect(created.attachments).toHaveLength(1);
    const stored = await getReport(product.api, created.id);
    expect(stored.attachments[0]).toMatchObject({
      id: created.attachments?.[0]?.id,
      contentType: 'image/jpeg',
      bytes: photo.length,
      width: 640,
      height: 480,
      by: 'citizen',
    });
    const served = await product.api.fetch(stored.attachments[0]?.url ?? '');
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    // Citizens never get photos back.
    expect((await publicFetch(stored.attachments[0]?.url ?? '')).status).toBe(401);
  });

  it('refuses a multipart report whose photo is not an image, or with too many photos, and keeps nothing of it', async () => {
    const photo = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const send = async (description: string, files: { bytes: Buffer; name: string }[], extra?: [string, string]) => {
      const form = new FormData();
      form.set('report', JSON.stringify({ category: 'rubbish', description, ...IN_A }));
      for (const f of files) form.append('photos', new Blob([f.bytes], { type: 'image/jpeg' }), f.name);
      if (extra) form.set(extra[0], extra[1]);
      const res = await publicFetch('/api/v1/reports', { method: 'POST', body: form });
      return { status: res.status, error: ((await res.json()) as { error?: { message: string } }).error };
    };
    const html = await send('Ảnh giả mạo', [
      { bytes: photo, name: 'a.jpg' },
      { bytes: Buffer.from('<html><script>x</script></html>'), name: 'b.jpg' },
    ]);
    expect(html.status).toBe(415);
    const tooMany = await send(
      'Quá nhiều ảnh',
      [photo, photo, photo].map((bytes, i) => ({ bytes, name: `${i}.png` })),
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.error?.message).toContain('photos');
    const extraField = await send('Trường lạ', [], ['role', 'admin']);
    expect(extraField.status).toBe(400);
    const list = (await (await product.api.fetch('/api/v1/reports?limit=1000')).json()) as { reports: Report[] };
    expect(list.reports.map((r) => r.description)).not.toEqual(expect.arrayContaining(['Ảnh giả mạo']));
    expect(list.reports.some((r) => ['Ảnh giả mạo', 'Quá nhiều ảnh', 'Trường lạ'].includes(r.description))).toBe(false);
  });

  it('refuses what it does not document, naming the known categories; a place outside every zone is the city', async () => {
    const unknown = await publicFetch('/api/v1/reports', {
      method: 'POST',
      json: { category: 'ufo', description: 'Đèn lạ trên trời', ...IN_A },
    });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toContain(
      'rubbish, flooding, quick',
    );
    const extra = await publicFetch('/api/v1/reports', {
      method: 'POST',
      json: { category: 'rubbish', description: 'Rác', ...IN_A, admin: true },
    });
    expect(extra.status).toBe(400);
    const text = await publicFetch('/api/v1/reports', {
      method: 'POST',
      body: 'category=rubbish',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(text.status).toBe(415);
    const outside = await file({ category: 'rubbish', description: 'Ngoài các phường', lat: 21.0, lon: 106.0 });
    expect(outside.zone).toBe('city');
  });

  it('shows a report to the field user of its zone, not to another zone; contact only to those who act', async () => {
    const created = await file({ category: 'rubbish', description: 'Rác ở phường A', ...IN_A, contact: CONTACT });
    const listA = (await (await fieldA.fetch('/api/v1/reports?zone=ward-a')).json()) as { reports: Report[] };
    expect(listA.reports.find((r) => r.id === created.id)?.contact).toEqual(CONTACT);
    const listB = (await (await fieldB.fetch('/api/v1/reports')).json()) as { reports: Report[] };
    expect(listB.reports.map((r) => r.id)).not.toContain(created.id);
    expect(listB.reports.every((r) => r.zone === 'ward-b')).toBe(true);
    expect((await fieldB.fetch(`/api/v1/reports/${created.id}`)).status).toBe(404);
    expect((await post(fieldB, `/api/v1/reports/${created.id}/start`, {})).status).toBe(404);

    const byAnalyst = await getReport(analyst, created.id);
    expect(byAnalyst.contact).toBeUndefined();
    expect(byAnalyst.description).toBe('Rác ở phường A');
    const byToken = await fetch(`${product.baseUrl}/api/v1/reports?status=received`, {
      headers: { authorization: `Bearer ${readToken}` },
    });
    const tokenList = (await byToken.json()) as { reports: Report[] };
    expect(tokenList.reports.some((r) => r.id === created.id)).toBe(true);
    expect(JSON.stringify(tokenList)).not.toContain(CONTACT.phone);
    expect((await post(analyst, `/api/v1/reports/${created.id}/note`, { text: 'xem' })).status).toBe(403);
  });

  it('walks assign, start and resolve with a result, takes one rating, and refuses a bad move', async () => {
    const created = await file({
      category: 'rubbish',
      description: 'Rác chưa thu gom 3 ngày',
      ...IN_A,
      contact: CONTACT,
    });
    expect((await post(fieldA, `/api/v1/reports/${created.id}/assign`, { assignee: 'field-a' })).status).toBe(403);
    const early = await publicFetch(`/api/v1/reports/track/${created.code}/rating`, {
      method: 'POST',
      json: { score: 5 },
    });
    expect(early.status).toBe(409);

    const assigned = await post(product.api, `/api/v1/reports/${created.id}/assign`, {
      assignee: 'field-a',
      note: 'Gần trụ sở',
    });
    expect(assigned.status).toBe(200);
    expect((await assigned.json()) as Report).toMatchObject({ status: 'assigned', assignee: 'field-a' });
    const started = await post(fieldA, `/api/v1/reports/${created.id}/start`, { note: 'Đang đến' });
    expect(((await started.json()) as Report).status).toBe('in_progress');
    expect((await post(fieldA, `/api/v1/reports/${created.id}/note`, { text: 'Đã liên hệ đội vệ sinh' })).status).toBe(
      200,
    );
    const resolved = await post(fieldA, `/api/v1/reports/${created.id}/resolve`, {
      result: 'Đã thu gom, khu vực sạch',
    });
    expect(resolved.status).toBe(200);
    const done = (await resolved.json()) as Report;
    expect(done).toMatchObject({
      status: 'resolved',
      result: 'Đã thu gom, khu vực sạch',
      assignee: 'field-a',
      overdue: false,
    });
    expect(done.history.map((e) => e.action)).toEqual(['create', 'assign', 'start', 'note', 'resolve']);

    const bad = await post(fieldA, `/api/v1/reports/${created.id}/start`, {});
    expect(bad.status).toBe(409);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('resolved');

    const tracked = await track(created.code);
    expect(tracked).toMatchObject({ status: 'resolved', result: 'Đã thu gom, khu vực sạch', canRate: true });
    expect(JSON.stringify(tracked)).not.toContain('field-a');
    const rated = await publicFetch(`/api/v1/reports/track/${created.code}/rating`, {
      method: 'POST',
      json: { score: 4, comment: 'Nhanh' },
    });
    expect(rated.status).toBe(200);
    expect((await rated.json()) as ReportTrack).toMatchObject({ canRate: false, rating: { score: 4 } });
    const again = await publicFetch(`/api/v1/reports/track/${created.code}/rating`, {
      method: 'POST',
      json: { score: 1 },
    });
    expect(again.status).toBe(409);
    expect((await getReport(product.api, created.id)).rating).toMatchObject({ score: 4, comment: 'Nhanh' });

    await waitFor(async () => {
      const audit = (await (await product.api.fetch('/api/v1/audit?limit=200')).json()) as { entries: AuditEntry[] };
      const actions = audit.entries
        .filter((e) => e.target === created.id)
        .map((e) => e.action)
        .reverse();
      return (
        JSON.stringify(actions) ===
        JSON.stringify([
          'report.create',
          'report.assign',
          'report.start',
          'report.note',
          'report.resolve',
          'report.rate',
        ])
      );
    }, 'every move of the report in the audit log');
  });

  it('limits filing per address with 429 and Retry-After; another address still files', async () => {
    const from = newAddress();
    for (let i = 0; i < 3; i++) await file({ category: 'rubbish', description: `Lần ${i + 1}`, ...IN_A }, from);
    const limited = await publicFetch('/api/v1/reports', {
      method: 'POST',
      json: { category: 'rubbish', description: 'Lần 4', ...IN_A },
      from,
    });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
    await file({ category: 'rubbish', description: 'Địa chỉ khác', ...IN_A });
  });

  it('goes overdue after its deadline, with one overdue event, shown to staff and on the tracking page', async () => {
    const created = await file({ category: 'quick', description: 'Cây đổ chắn đường', ...IN_A });
    const overdue = await waitFor(
      async () => {
        const report = await getReport(product.api, created.id);
        return report.history.some((e) => e.action === 'overdue') ? report : undefined;
      },
      'the overdue event',
      10_000,
    );
    expect(overdue.overdue).toBe(true);
    expect(overdue.history.filter((e) => e.action === 'overdue')).toHaveLength(1);
    expect((await track(created.code)).overdue).toBe(true);
    const list = (await (await product.api.fetch('/api/v1/reports?overdue=true')).json()) as { reports: Report[] };
    expect(list.reports.map((r) => r.id)).toContain(created.id);
    expect(list.reports.every((r) => r.overdue)).toBe(true);
  });

  it('puts each change on the live map of those who may see it, without the contact', async () => {
    const liveA = await connectLive(product.baseUrl, { cookie: fieldA.cookie });
    const liveB = await connectLive(product.baseUrl, { cookie: fieldB.cookie });
    const seenA: Report[] = [];
    const seenB: Report[] = [];
    liveA.socket.on('report', (r) => seenA.push(r));
    liveB.socket.on('report', (r) => seenB.push(r));
    try {
      const inA = await file({ category: 'rubbish', description: 'Trực tiếp ở phường A', ...IN_A, contact: CONTACT });
      await post(product.api, `/api/v1/reports/${inA.id}/assign`, { assignee: 'field-a' });
      const inB = await file({ category: 'rubbish', description: 'Trực tiếp ở phường B', ...IN_B });
      await waitFor(
        () => seenA.filter((r) => r.id === inA.id).length === 2,
        "both changes of the ward A report on field-a's socket",
      );
      expect(seenA.filter((r) => r.id === inA.id).map((r) => [r.status, r.contact])).toEqual([
        ['received', undefined],
        ['assigned', undefined],
      ]);
      // Emitted after the ward A report: once field-b has it, the earlier one would have arrived first.
      await waitFor(() => seenB.some((r) => r.id === inB.id), "the ward B report on field-b's socket");
      expect(seenB.map((r) => r.id)).not.toContain(inA.id);
    } finally {
      liveA.close();
      liveB.close();
    }
  });

  it('lets exactly one of two simultaneous moves from the same version win', async () => {
    const created = await file({ category: 'rubbish', description: 'Hai người cùng xử lý', ...IN_A });
    await post(product.api, `/api/v1/reports/${created.id}/assign`, { assignee: 'field-a' });
    const [resolve, reject] = await Promise.all([
      post(fieldA, `/api/v1/reports/${created.id}/resolve`, { result: 'Đã xử lý' }),
      post(product.api, `/api/v1/reports/${created.id}/reject`, { reason: 'Trùng phản ánh' }),
    ]);
    expect([resolve.status, reject.status].sort()).toEqual([200, 409]);
    const winner = resolve.status === 200 ? 'resolved' : 'rejected';
    const stored = await getReport(product.api, created.id);
    expect(stored.status).toBe(winner);
    expect(stored.history.filter((e) => e.action === 'resolve' || e.action === 'reject')).toHaveLength(1);
  });
});
