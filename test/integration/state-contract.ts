import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Alert, AlertEvent, Rule } from '../../contract/index.js';
import {
  StateConflictError,
  alertVersion,
  type NewAuditEntry,
  type StateStore,
  type StoredDevice,
  type StoredRecord,
  type StoredToken,
  type StoredUser,
} from '../../server/state/types.js';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

function user(username: string, extra: Partial<StoredUser> = {}): StoredUser {
  return {
    username,
    displayName: `Người dùng ${username}`,
    roles: ['operator'],
    zones: [],
    disabled: false,
    source: 'local',
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

function token(id: string, createdAt: number, extra: Partial<StoredToken> = {}): StoredToken {
  return { id, name: `token ${id}`, scopes: ['read'], hash: `${id}`.padEnd(64, 'a'), createdAt, createdBy: 'admin', ...extra };
}

function device(id: string, username = `dev-${id}`): StoredDevice {
  return { id, domain: 'sensor', username, passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', createdAt: T0, createdBy: 'admin' };
}

function audit(at: number, actor: string, action: NewAuditEntry['action'], details: Record<string, unknown> = {}): NewAuditEntry {
  return { at, actor, action, target: `target-${at}`, ip: '10.0.0.7', details };
}

function rule(id: string, value: number): Rule {
  return {
    id,
    name: `PM2.5 above ${value}`,
    domain: 'sensor',
    match: { tags: { district: 'Trần Phú' } },
    condition: { field: 'pm25', op: '>', value, clear: value - 10 },
    for: 30_000,
    severity: 'warning',
    enabled: true,
  };
}

const MOVES: AlertEvent['action'][] = ['ack', 'assign', 'note', 'snooze', 'unsnooze', 'resolve'];

/** An alert whose history has `version` events (version 0: no history at all). */
function alert(id: string, version: number, extra: Partial<Alert> = {}): Alert {
  const startedAt = extra.startedAt ?? T0;
  const history: AlertEvent[] = Array.from({ length: version }, (_, k) =>
    k === 0 ? { at: startedAt, by: 'engine', action: 'fire' } : { at: startedAt + k * 1000, by: `op-${k}`, action: MOVES[k % MOVES.length]! },
  );
  return {
    id,
    ruleId: 'pm25-high',
    domain: 'sensor',
    entityId: 'S1',
    severity: 'critical',
    state: 'firing',
    startedAt,
    updatedAt: startedAt + version * 1000,
    value: 180.5,
    message: `PM2.5 "high" v${version}`,
    lat: 21.273,
    lon: 106.194,
    ...(version > 0 ? { history } : {}),
    ...extra,
  };
}

/**
 * The behaviour every StateStore must have, run once per implementation. `makeStore` returns a
 * fresh, initialised store on its own empty database; the suite closes it.
 */
export function stateStoreContract(name: string, makeStore: () => Promise<StateStore>): void {
  describe(`state store contract: ${name}`, () => {
    let store: StateStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    describe('lifecycle', () => {
      it('init is idempotent and ping answers', async () => {
        await store.init();
        await store.ping();
        expect(await store.countUsers()).toBe(0);
      });
    });

    describe('users', () => {
      it('round-trips every field, and leaves unset optional fields absent', async () => {
        const full = user('lan', {
          roles: ['supervisor', 'field'],
          zones: ['zone-a', 'phường Trần Phú'],
          email: 'lan@example.org',
          phone: '+84 204 123456',
          disabled: true,
          source: 'oidc',
          passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$abc$def',
          createdAt: T0,
          updatedAt: T0 + 5,
          lastLoginAt: T0 + 10,
        });
        const minimal = user('minh');
        await store.createUser(full);
        await store.createUser(minimal);
        expect(await store.getUser('lan')).toStrictEqual(full);
        const got = await store.getUser('minh');
        expect(got).toStrictEqual(minimal);
        for (const key of ['email', 'phone', 'passwordHash', 'lastLoginAt']) expect(got).not.toHaveProperty(key);
        expect(await store.getUser('nobody')).toBeUndefined();
        expect(await store.countUsers()).toBe(2);
      });

      it('refuses an existing username with StateConflictError and keeps the first row', async () => {
        await store.createUser(user('lan', { displayName: 'First' }));
        const attempt = store.createUser(user('lan', { displayName: 'Second' }));
        await expect(attempt).rejects.toBeInstanceOf(StateConflictError);
        await expect(attempt).rejects.toMatchObject({ status: 409, code: 'conflict' });
        expect((await store.getUser('lan'))?.displayName).toBe('First');
        expect(await store.countUsers()).toBe(1);
      });

      it('updateUser replaces the whole row and returns it; undefined for a missing user', async () => {
        await store.createUser(user('lan', { email: 'lan@example.org', phone: '+84 1234567', roles: ['admin'], zones: ['z1'] }));
        const replaced = user('lan', { roles: ['analyst', 'display'], zones: ['z2', 'z3'], disabled: true, updatedAt: T0 + 99 });
        const returned = await store.updateUser(replaced);
        expect(returned).toStrictEqual(replaced);
        const stored = await store.getUser('lan');
        expect(stored).toStrictEqual(replaced);
        expect(stored).not.toHaveProperty('email');
        expect(stored).not.toHaveProperty('phone');

        expect(await store.updateUser(user('ghost'))).toBeUndefined();
        expect(await store.getUser('ghost')).toBeUndefined();
      });

      it('deleteUser says whether the user existed; listUsers is sorted by username', async () => {
        for (const name of ['minh', 'an', 'zoe', 'bao']) await store.createUser(user(name));
        expect((await store.listUsers()).map((u) => u.username)).toEqual(['an', 'bao', 'minh', 'zoe']);
        expect(await store.deleteUser('minh')).toBe(true);
        expect(await store.deleteUser('minh')).toBe(false);
        expect((await store.listUsers()).map((u) => u.username)).toEqual(['an', 'bao', 'zoe']);
        expect(await store.countUsers()).toBe(3);
      });
    });

    describe('sessions', () => {
      it('returns a live session and hides it once expiresAt <= now', async () => {
        await store.setSession('s1', { data: '{"cookie":{},"user":"lan"}', username: 'lan', expiresAt: T0 + 1000 });
        await store.setSession('s2', { data: '{}', expiresAt: T0 + 1000 });
        expect(await store.getSession('s1', T0 + 999)).toStrictEqual({ data: '{"cookie":{},"user":"lan"}', username: 'lan', expiresAt: T0 + 1000 });
        expect(await store.getSession('s1', T0 + 1000)).toBeUndefined();
        const anonymous = await store.getSession('s2', T0);
        expect(anonymous).toStrictEqual({ data: '{}', expiresAt: T0 + 1000 });
        expect(anonymous).not.toHaveProperty('username');
        expect(await store.getSession('missing', T0)).toBeUndefined();
      });

      it('setSession replaces, touchSession extends, destroySession removes', async () => {
        await store.setSession('s1', { data: '{}', expiresAt: T0 + 1000 });
        await store.setSession('s1', { data: '{"n":2}', username: 'lan', expiresAt: T0 + 2000 });
        expect(await store.getSession('s1', T0)).toStrictEqual({ data: '{"n":2}', username: 'lan', expiresAt: T0 + 2000 });
        await store.touchSession('s1', T0 + 60_000);
        expect(await store.getSession('s1', T0 + 30_000)).toStrictEqual({ data: '{"n":2}', username: 'lan', expiresAt: T0 + 60_000 });
        await store.destroySession('s1');
        await store.destroySession('s1');
        expect(await store.getSession('s1', T0)).toBeUndefined();
      });

      it('destroyUserSessions removes every session of that user and counts them', async () => {
        await store.setSession('a1', { data: '{}', username: 'lan', expiresAt: T0 + 1000 });
        await store.setSession('a2', { data: '{}', username: 'lan', expiresAt: T0 - 1000 });
        await store.setSession('b1', { data: '{}', username: 'minh', expiresAt: T0 + 1000 });
        await store.setSession('c1', { data: '{}', expiresAt: T0 + 1000 });
        expect(await store.destroyUserSessions('lan')).toBe(2);
        expect(await store.destroyUserSessions('lan')).toBe(0);
        expect(await store.getSession('a1', T0)).toBeUndefined();
        expect(await store.getSession('b1', T0)).toBeDefined();
        expect(await store.getSession('c1', T0)).toBeDefined();
      });

      it('pruneSessions deletes the expired ones (expiresAt <= now) and counts them', async () => {
        await store.setSession('old', { data: '{}', expiresAt: T0 - 1 });
        await store.setSession('edge', { data: '{}', expiresAt: T0 });
        await store.setSession('live', { data: '{}', expiresAt: T0 + 1 });
        expect(await store.pruneSessions(T0)).toBe(2);
        expect(await store.pruneSessions(T0)).toBe(0);
        // Gone for good, not just hidden: an earlier `now` no longer finds them.
        expect(await store.getSession('old', T0 - 10)).toBeUndefined();
        expect(await store.getSession('live', T0)).toStrictEqual({ data: '{}', expiresAt: T0 + 1 });
      });
    });

    describe('tokens', () => {
      it('lists by createdAt, finds by hash, touches lastUsedAt, deletes', async () => {
        const later = token('tok-a', T0 + 2000, { scopes: ['ingest', 'metrics'], expiresAt: T0 + 86_400_000 });
        const earlier = token('tok-b', T0 + 1000);
        await store.createToken(later);
        await store.createToken(earlier);
        expect(await store.listTokens()).toStrictEqual([earlier, later]);
        const found = await store.findTokenByHash(later.hash);
        expect(found).toStrictEqual(later);
        expect(found).not.toHaveProperty('lastUsedAt');
        expect(await store.findTokenByHash('f'.repeat(64))).toBeUndefined();

        await store.touchToken('tok-b', T0 + 5000);
        expect(await store.findTokenByHash(earlier.hash)).toStrictEqual({ ...earlier, lastUsedAt: T0 + 5000 });

        expect(await store.deleteToken('tok-a')).toBe(true);
        expect(await store.deleteToken('tok-a')).toBe(false);
        expect((await store.listTokens()).map((t) => t.id)).toEqual(['tok-b']);
      });

      it('refuses a duplicate id with StateConflictError', async () => {
        await store.createToken(token('tok-a', T0));
        await expect(store.createToken(token('tok-a', T0 + 1, { hash: 'b'.repeat(64) }))).rejects.toBeInstanceOf(StateConflictError);
        expect(await store.listTokens()).toHaveLength(1);
      });
    });

    describe('devices', () => {
      it('gets by id and by username, lists, deletes', async () => {
        await store.createDevice(device('S2'));
        await store.createDevice(device('S1'));
        expect(await store.getDevice('S1')).toStrictEqual(device('S1'));
        expect(await store.getDeviceByUsername('dev-S2')).toStrictEqual(device('S2'));
        expect(await store.getDeviceByUsername('dev-S9')).toBeUndefined();
        expect((await store.listDevices()).map((d) => d.id)).toEqual(['S1', 'S2']);
        expect(await store.deleteDevice('S1')).toBe(true);
        expect(await store.deleteDevice('S1')).toBe(false);
        expect(await store.getDevice('S1')).toBeUndefined();
      });

      it('refuses a duplicate id and a duplicate username with StateConflictError', async () => {
        await store.createDevice(device('S1', 'mqtt-s1'));
        await expect(store.createDevice(device('S1', 'mqtt-other'))).rejects.toBeInstanceOf(StateConflictError);
        await expect(store.createDevice(device('S2', 'mqtt-s1'))).rejects.toBeInstanceOf(StateConflictError);
        expect(await store.listDevices()).toStrictEqual([device('S1', 'mqtt-s1')]);
      });
    });

    describe('audit', () => {
      beforeEach(async () => {
        await store.appendAudit(audit(T0 + 100, 'lan', 'login'));
        await store.appendAudit(audit(T0 + 200, 'minh', 'user.create', { username: 'an', roles: ['operator'] }));
        await store.appendAudit(audit(T0 + 300, 'lan', 'alert.ack', { alert: 'a-1', note: 'đã xử lý "ok"', nested: { n: 1.5, ok: true, none: null } }));
        await store.appendAudit(audit(T0 + 300, 'lan', 'alert.note'));
        await store.appendAudit(audit(T0 + 400, 'minh', 'logout'));
      });

      it('returns entries newest first with ids, round-tripping details', async () => {
        const all = await store.queryAudit({ limit: 100 });
        expect(all.map((e) => e.action)).toEqual(['logout', 'alert.note', 'alert.ack', 'user.create', 'login']);
        const ids = all.map((e) => e.id);
        expect(ids.every((id) => typeof id === 'number')).toBe(true);
        // Auto-increment: later appends get larger ids.
        expect([...ids].sort((a, b) => a! - b!)).toEqual([...ids].reverse());
        expect(all[2]).toStrictEqual({
          id: all[2]!.id,
          at: T0 + 300,
          actor: 'lan',
          action: 'alert.ack',
          target: `target-${T0 + 300}`,
          ip: '10.0.0.7',
          details: { alert: 'a-1', note: 'đã xử lý "ok"', nested: { n: 1.5, ok: true, none: null } },
        });
        expect(all[4]!.details).toStrictEqual({});
      });

      it('filters by inclusive from/to, actor, action, and limits', async () => {
        expect((await store.queryAudit({ from: T0 + 200, to: T0 + 300, limit: 100 })).map((e) => e.at)).toEqual([T0 + 300, T0 + 300, T0 + 200]);
        expect((await store.queryAudit({ actor: 'lan', limit: 100 })).map((e) => e.action)).toEqual(['alert.note', 'alert.ack', 'login']);
        expect((await store.queryAudit({ action: 'logout', limit: 100 })).map((e) => e.actor)).toEqual(['minh']);
        expect((await store.queryAudit({ actor: 'minh', from: T0 + 201, limit: 100 })).map((e) => e.action)).toEqual(['logout']);
        expect((await store.queryAudit({ limit: 2 })).map((e) => e.action)).toEqual(['logout', 'alert.note']);
        expect(await store.queryAudit({ actor: 'nobody', limit: 100 })).toEqual([]);
      });
    });

    describe('records and blobs', () => {
      const record = (id: string, at: number, extra: Partial<StoredRecord> = {}): StoredRecord => ({
        kind: 'report',
        id,
        version: 1,
        at,
        updatedAt: at,
        open: true,
        json: JSON.stringify({ id, mô_tả: 'ngập "sâu"' }),
        ...extra,
      });

      it('inserts once per id and per key, round-trips every column, and gets by key', async () => {
        expect(await store.insertRecord(record('r1', T0, { key: 'CODE-1', ref: 'lan' }))).toBe(true);
        expect(await store.insertRecord(record('r1', T0 + 1))).toBe(false);
        expect(await store.insertRecord(record('r2', T0 + 1, { key: 'CODE-1' }))).toBe(false);
        expect(await store.insertRecord(record('r1', T0, { kind: 'delivery' }))).toBe(true);
        expect(await store.getRecord('report', 'r1')).toEqual(record('r1', T0, { key: 'CODE-1', ref: 'lan' }));
        expect((await store.getRecordByKey('report', 'CODE-1'))?.id).toBe('r1');
        expect(await store.getRecordByKey('delivery', 'CODE-1')).toBeUndefined();
        expect(await store.getRecord('report', 'r2')).toBeUndefined();
      });

      it('compare-and-set: only a move from the stored version wins', async () => {
        await store.insertRecord(record('r1', T0));
        const next = record('r1', T0, { version: 2, open: false, updatedAt: T0 + 5, json: '{"v":2}' });
        const [a, b] = await Promise.all([store.casRecord(next, 1), store.casRecord({ ...next, json: '{"v":"other"}' }, 1)]);
        expect([a, b].filter(Boolean)).toHaveLength(1);
        expect(await store.casRecord(record('r1', T0, { version: 3 }), 1)).toBe(false);
        const stored = await store.getRecord('report', 'r1');
        expect(stored?.version).toBe(2);
        expect(stored?.open).toBe(false);
        expect(stored?.updatedAt).toBe(T0 + 5);
        expect(await store.casRecord(record('missing', T0, { version: 2 }), 1)).toBe(false);
      });

      it('lists newest first, by ref, open and inclusive time, limited; deletes', async () => {
        await store.insertRecord(record('a', T0 + 100, { ref: 'lan' }));
        await store.insertRecord(record('b', T0 + 200, { ref: 'minh', open: false }));
        await store.insertRecord(record('c', T0 + 300, { ref: 'lan' }));
        const ids = async (query: Parameters<StateStore['listRecords']>[1]) => (await store.listRecords('report', query)).map((r) => r.id);
        expect(await ids({ limit: 10 })).toEqual(['c', 'b', 'a']);
        expect(await ids({ ref: 'lan', limit: 10 })).toEqual(['c', 'a']);
        expect(await ids({ open: false, limit: 10 })).toEqual(['b']);
        expect(await ids({ open: true, from: T0 + 100, to: T0 + 200, limit: 10 })).toEqual(['a']);
        expect(await ids({ limit: 1 })).toEqual(['c']);
        expect(await store.listRecords('delivery', { limit: 10 })).toEqual([]);
        expect(await store.deleteRecord('report', 'b')).toBe(true);
        expect(await store.deleteRecord('report', 'b')).toBe(false);
        expect(await ids({ limit: 10 })).toEqual(['c', 'a']);
      });

      it('keeps blobs byte for byte, first writer wins', async () => {
        const bytes = Buffer.from([0xff, 0xd8, 0x00, 0x01, 0xfe, 0x00]);
        await store.putBlob('p1', { contentType: 'image/jpeg', bytes });
        await store.putBlob('p1', { contentType: 'image/png', bytes: Buffer.from('other') });
        const blob = await store.getBlob('p1');
        expect(blob?.contentType).toBe('image/jpeg');
        expect(Buffer.compare(blob?.bytes ?? Buffer.alloc(0), bytes)).toBe(0);
        expect(await store.getBlob('missing')).toBeUndefined();
      });
    });

    describe('rules', () => {
      it('upserts by id, loads sorted by id, deletes (a missing id is no error)', async () => {
        await store.saveRule(rule('pm25-b', 50));
        await store.saveRule(rule('pm25-a', 80));
        await store.saveRule({ ...rule('pm25-b', 60), enabled: false });
        expect(await store.loadRules()).toStrictEqual([rule('pm25-a', 80), { ...rule('pm25-b', 60), enabled: false }]);
        await store.deleteRule('pm25-a');
        await store.deleteRule('pm25-a');
        expect((await store.loadRules()).map((r) => r.id)).toEqual(['pm25-b']);
      });
    });

    describe('alerts', () => {
      it('round-trips every field, including odd strings and nulls', async () => {
        const odd = alert('odd', 3, {
          message: 'ngập nước\nline two = "x" \\ NUL:\u0000 end',
          value: 'level "high", 3\\4',
          lat: null,
          lon: null,
          assignee: 'lan',
          snoozedUntil: T0 + 60_000,
          zone: 'city',
          state: 'snoozed',
        });
        const bare = alert('bare', 0, { value: null });
        await store.saveAlerts([odd, bare]);
        expect(await store.getAlert('odd')).toStrictEqual(odd);
        const gotBare = await store.getAlert('bare');
        expect(gotBare).toStrictEqual(bare);
        expect(gotBare).not.toHaveProperty('history');
        expect(await store.getAlert('missing')).toBeUndefined();
      });

      it('saveAlerts keeps a stored newer version and overwrites an equal one', async () => {
        await store.saveAlerts([alert('a', 3)]);
        await store.saveAlerts([alert('a', 2, { message: 'stale' })]);
        expect(await store.getAlert('a')).toStrictEqual(alert('a', 3));
        // Equal version: the write wins, so saving the same version again is idempotent.
        await store.saveAlerts([alert('a', 3, { message: 'same version, rewritten' })]);
        expect((await store.getAlert('a'))?.message).toBe('same version, rewritten');
        await store.saveAlerts([alert('a', 4)]);
        expect(await store.getAlert('a')).toStrictEqual(alert('a', 4));
        await store.saveAlerts([]);
        expect(await store.loadAlerts()).toHaveLength(1);
      });

      it('saveAlerts takes many alerts at once, with repeated ids resolved to the newest version', async () => {
        const many = Array.from({ length: 1234 }, (_, k) => alert(`storm-${String(k).padStart(4, '0')}`, 1 + (k % 4), { startedAt: T0 + k }));
        await store.saveAlerts([...many, alert('storm-0001', 9, { startedAt: T0 + 1 }), alert('storm-0001', 5, { startedAt: T0 + 1 })]);
        const loaded = await store.loadAlerts();
        expect(loaded).toHaveLength(1234);
        const byId = new Map(loaded.map((a) => [a.id, a]));
        expect(byId.get('storm-0000')).toStrictEqual(many[0]);
        expect(byId.get('storm-1233')).toStrictEqual(many[1233]);
        expect(alertVersion(byId.get('storm-0001')!)).toBe(9);
      });

      it('saveAlerts is all or nothing: a bad alert late in a big batch leaves nothing of it behind', async () => {
        await store.saveAlerts([alert('kept', 1)]);
        const batch = Array.from({ length: 800 }, (_, k) => alert(`batch-${String(k).padStart(3, '0')}`, 1, { startedAt: T0 + k }));
        // Sorted last by id and past the first chunk of rows; NaN is no valid start time for any store.
        batch.push(alert('zz-bad', 1, { startedAt: Number.NaN }));
        await expect(store.saveAlerts([...batch, alert('kept', 2)])).rejects.toThrow();
        expect((await store.loadAlerts()).map((a) => a.id)).toEqual(['kept']);
        expect(alertVersion((await store.getAlert('kept'))!)).toBe(1);
      });

      it('loadAlertsOpenAt: alerts started before the cut and still open at `at` (or changed after it), odd strings too', async () => {
        const at = T0 + 10_000;
        await store.saveAlerts([
          // Open now: counted whatever its age.
          alert('open-old', 1, { startedAt: T0 - 5_000 }),
          // Resolved before `at`: left out; resolved after `at`: still open then.
          alert('closed-before', 2, { startedAt: T0 - 4_000, state: 'resolved', updatedAt: at - 1 }),
          alert('closed-after', 2, { startedAt: T0 - 3_000, state: 'resolved', updatedAt: at + 1, message: 'NUL \u0000 and "quotes" \\' }),
          // Started at or after the cut: loadAlerts(since) covers those.
          alert('too-new', 1, { startedAt: T0 }),
        ]);
        const found = await store.loadAlertsOpenAt(at, T0);
        expect(found.map((a) => a.id)).toEqual(['open-old', 'closed-after']);
        expect(found[1]?.message).toBe('NUL \u0000 and "quotes" \\');
        expect(await store.loadAlertsOpenAt(at, T0 - 5_000)).toEqual([]);
      });

      it('loadAlerts(since) returns the alerts that started at or after since', async () => {
        await store.saveAlerts([alert('early', 1, { startedAt: T0 - 1 }), alert('edge', 1, { startedAt: T0 }), alert('late', 2, { startedAt: T0 + 1 })]);
        expect((await store.loadAlerts(T0)).map((a) => a.id).sort()).toEqual(['edge', 'late']);
        expect((await store.loadAlerts(T0 + 2)).map((a) => a.id)).toEqual([]);
        expect((await store.loadAlerts()).map((a) => a.id).sort()).toEqual(['early', 'edge', 'late']);
      });

      it('casAlert writes only when the stored version is at most basedOn', async () => {
        // No row yet: the first version is written.
        expect(await store.casAlert(alert('c', 1), 0)).toBe(true);
        expect(await store.getAlert('c')).toStrictEqual(alert('c', 1));
        // Moved from version 1.
        const acked = alert('c', 2, { state: 'acknowledged', assignee: 'lan' });
        expect(await store.casAlert(acked, 1)).toBe(true);
        expect(await store.getAlert('c')).toStrictEqual(acked);
        // A second move also made from version 1 loses and changes nothing.
        expect(await store.casAlert(alert('c', 2, { state: 'resolved' }), 1)).toBe(false);
        expect(await store.getAlert('c')).toStrictEqual(acked);
        // Made from the current version: wins.
        const resolved = alert('c', 3, { state: 'resolved' });
        expect(await store.casAlert(resolved, 2)).toBe(true);
        expect(await store.getAlert('c')).toStrictEqual(resolved);
        // basedOn above the stored version (a skipped save) still wins: the stored one is not newer.
        expect(await store.casAlert(alert('c', 6), 5)).toBe(true);
        expect(alertVersion((await store.getAlert('c'))!)).toBe(6);
      });
    });

    describe('settings', () => {
      it('putSettingIfAbsent keeps the first value and returns the stored one', async () => {
        expect(await store.getSetting('jwt-key')).toBeUndefined();
        expect(await store.putSettingIfAbsent('jwt-key', 'first')).toBe('first');
        expect(await store.putSettingIfAbsent('jwt-key', 'second')).toBe('first');
        expect(await store.getSetting('jwt-key')).toBe('first');
        expect(await store.putSettingIfAbsent('other', '')).toBe('');
      });
    });
  });
}
