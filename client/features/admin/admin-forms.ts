import type { Role, TokenCreate, TokenScope, User, UserCreate, UserPatch } from '../../../contract/identity.js';
import { parseCityDateTime } from '../../i18n/format.js';

/** Zones typed as a list: split on commas, semicolons or new lines, trimmed, empty ones and repeats dropped. */
export function parseZones(text: string): string[] {
  return [...new Set(text.split(/[,;\n]/).map((zone) => zone.trim()))].filter((zone) => zone !== '');
}

/** What the user form holds; every field is text or a choice, as typed. */
export interface UserForm {
  username: string;
  displayName: string;
  password: string;
  roles: Role[];
  zones: string;
  email: string;
  phone: string;
  disabled: boolean;
}

export const EMPTY_USER_FORM: UserForm = {
  username: '',
  displayName: '',
  password: '',
  roles: ['operator'],
  zones: '',
  email: '',
  phone: '',
  disabled: false,
};

/** The form for editing `user` (no password: a reset is its own action). */
export function userToForm(user: User): UserForm {
  return {
    username: user.username,
    displayName: user.displayName,
    password: '',
    roles: [...user.roles],
    zones: user.zones.join(', '),
    email: user.email ?? '',
    phone: user.phone ?? '',
    disabled: user.disabled,
  };
}

/** The `POST /users` body: empty optional fields left out, so the server's 400 names only what was typed wrong. */
export function userCreateBody(form: UserForm): UserCreate {
  const zones = parseZones(form.zones);
  return {
    username: form.username.trim(),
    roles: form.roles,
    ...(form.displayName.trim() !== '' ? { displayName: form.displayName.trim() } : {}),
    ...(form.password !== '' ? { password: form.password } : {}),
    ...(zones.length > 0 ? { zones } : {}),
    ...(form.email.trim() !== '' ? { email: form.email.trim() } : {}),
    ...(form.phone.trim() !== '' ? { phone: form.phone.trim() } : {}),
    ...(form.disabled ? { disabled: true } : {}),
  };
}

/** The `PATCH /users/<name>` body: only what changed; a cleared email or phone is sent as null. */
export function userPatchBody(user: User, form: UserForm): UserPatch {
  const patch: UserPatch = {};
  const displayName = form.displayName.trim();
  if (displayName !== '' && displayName !== user.displayName) patch.displayName = displayName;
  if (form.roles.length !== user.roles.length || form.roles.some((role) => !user.roles.includes(role))) {
    patch.roles = form.roles;
  }
  const zones = parseZones(form.zones);
  if (zones.join('\n') !== user.zones.join('\n')) patch.zones = zones;
  const email = form.email.trim();
  if (email !== (user.email ?? '')) patch.email = email === '' ? null : email;
  const phone = form.phone.trim();
  if (phone !== (user.phone ?? '')) patch.phone = phone === '' ? null : phone;
  if (form.disabled !== user.disabled) patch.disabled = form.disabled;
  return patch;
}

/** Adds or removes one item of a set kept as an array, keeping the order of `all`. */
export function toggleIn<T>(all: readonly T[], chosen: readonly T[], item: T): T[] {
  const next = new Set(chosen);
  if (!next.delete(item)) next.add(item);
  return all.filter((candidate) => next.has(candidate));
}

/** The `POST /tokens` body; `expires` is a `datetime-local` value in Vietnam time, empty for never. */
export function tokenCreateBody(name: string, scopes: TokenScope[], expires: string): TokenCreate {
  const expiresAt = parseCityDateTime(expires);
  return { name: name.trim(), scopes, ...(expiresAt !== null ? { expiresAt } : {}) };
}
