import type {
  DeviceCreate,
  DeviceCreated,
  DeviceInfo,
  TokenCreate,
  TokenCreated,
  TokenInfo,
  User,
  UserCreate,
  UserPatch,
} from '../../../contract/identity.js';
import { call } from '../../live/http.js';

const userPath = (username: string) => `/users/${encodeURIComponent(username)}`;

/** Every user, as the API shows them (never a password). */
export async function fetchUsers(): Promise<User[]> {
  return (await call<{ users: User[] }>('GET', '/users')).users;
}

export function createUser(body: UserCreate): Promise<User> {
  return call<User>('POST', '/users', { body });
}

export function updateUser(username: string, body: UserPatch): Promise<User> {
  return call<User>('PATCH', userPath(username), { body });
}

export function deleteUser(username: string): Promise<void> {
  return call<void>('DELETE', userPath(username));
}

export async function fetchTokens(): Promise<TokenInfo[]> {
  return (await call<{ tokens: TokenInfo[] }>('GET', '/tokens')).tokens;
}

/** Creates a token; the answer carries the secret, which the server never shows again. */
export function createToken(body: TokenCreate): Promise<TokenCreated> {
  return call<TokenCreated>('POST', '/tokens', { body });
}

export function revokeToken(id: string): Promise<void> {
  return call<void>('DELETE', `/tokens/${encodeURIComponent(id)}`);
}

export async function fetchDevices(): Promise<DeviceInfo[]> {
  return (await call<{ devices: DeviceInfo[] }>('GET', '/devices')).devices;
}

/** Creates MQTT credentials for a device; the password is in this answer only. */
export function createDevice(body: DeviceCreate): Promise<DeviceCreated> {
  return call<DeviceCreated>('POST', '/devices', { body });
}

export function deleteDevice(id: string): Promise<void> {
  return call<void>('DELETE', `/devices/${encodeURIComponent(id)}`);
}
