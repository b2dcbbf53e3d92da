import { describe, expect, it } from 'vitest';
import type { User } from '../../../contract/identity.js';
import {
  EMPTY_USER_FORM,
  parseZones,
  tokenCreateBody,
  toggleIn,
  userCreateBody,
  userPatchBody,
  userToForm,
} from '../../../client/features/admin/admin-forms.js';
import { auditQuery, detailsText, newestFirst, NO_FILTERS } from '../../../client/features/audit/audit-query.js';
import { cityDateTimeInput, parseCityDateTime } from '../../../client/i18n/format.js';

const T0 = Date.parse('2026-03-01T01:30:00Z');

const user: User = {
  username: 'lan.nguyen',
  displayName: 'Nguyễn Thị Lan',
  roles: ['operator'],
  zones: ['centre'],
  email: 'lan@example.vn',
  disabled: false,
  source: 'local',
  createdAt: T0,
  updatedAt: T0,
};

describe('user form', () => {
  it('reads zones as a list', () => {
    expect(parseZones(' centre, north;centre\n\n south ')).toEqual(['centre', 'north', 'south']);
    expect(parseZones('  ')).toEqual([]);
  });

  it('leaves empty optional fields out of a new user', () => {
    expect(userCreateBody({ ...EMPTY_USER_FORM, username: ' minh ', password: 'a-long-password' })).toEqual({
      username: 'minh',
      roles: ['operator'],
      password: 'a-long-password',
    });
    expect(
      userCreateBody({
        ...EMPTY_USER_FORM,
        username: 'x',
        roles: ['field'],
        zones: 'a, b',
        phone: '+84 912',
        disabled: true,
      }),
    ).toEqual({ username: 'x', roles: ['field'], zones: ['a', 'b'], phone: '+84 912', disabled: true });
  });

  it('patches only what changed, clearing a removed email with null', () => {
    const form = userToForm(user);
    expect(userPatchBody(user, form)).toEqual({});
    expect(userPatchBody(user, { ...form, roles: ['operator', 'supervisor'], email: '', disabled: true })).toEqual({
      roles: ['operator', 'supervisor'],
      email: null,
      disabled: true,
    });
    expect(userPatchBody(user, { ...form, zones: 'centre, north' })).toEqual({ zones: ['centre', 'north'] });
  });

  it('toggles choices keeping the canonical order', () => {
    expect(toggleIn(['a', 'b', 'c'], ['c'], 'a')).toEqual(['a', 'c']);
    expect(toggleIn(['a', 'b', 'c'], ['a', 'c'], 'a')).toEqual(['c']);
  });

  it('sends a token expiry typed in Vietnam time as ms, and none when empty', () => {
    expect(tokenCreateBody(' wall ', ['display'], '')).toEqual({ name: 'wall', scopes: ['display'] });
    expect(tokenCreateBody('w', ['read'], '2026-03-01T08:30')).toEqual({ name: 'w', scopes: ['read'], expiresAt: T0 });
  });
});

describe('Vietnam date-time inputs', () => {
  it('reads and writes datetime-local values at UTC+7', () => {
    expect(parseCityDateTime('2026-03-01T08:30')).toBe(T0);
    expect(cityDateTimeInput(T0)).toBe('2026-03-01T08:30');
    expect(parseCityDateTime('')).toBeNull();
    expect(parseCityDateTime('yesterday')).toBeNull();
  });
});

describe('audit query', () => {
  it('sends only the filters filled in', () => {
    expect(auditQuery(NO_FILTERS)).toBe('limit=500');
    expect(auditQuery({ actor: ' admin ', action: 'login_failed', from: '2026-03-01T08:30', to: '' }, 50)).toBe(
      `from=${T0}&actor=admin&action=login_failed&limit=50`,
    );
  });

  it('writes details on one line and sorts newest first', () => {
    expect(detailsText({ roles: ['admin'], reason: 'bad password', n: 2 })).toBe(
      'roles: ["admin"] · reason: bad password · n: 2',
    );
    const entry = (at: number, id?: number) => ({
      at,
      actor: 'a',
      action: 'login' as const,
      target: '',
      ip: '',
      details: {},
      ...(id === undefined ? {} : { id }),
    });
    expect(newestFirst([entry(1, 1), entry(3, 2), entry(3, 3)]).map((e) => e.id)).toEqual([3, 2, 1]);
  });
});
