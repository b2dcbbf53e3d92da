import type { RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Alert, AlertSummary } from '../../contract/index.js';
import type { Logger } from '../../config/logger.js';
import type { LiveIo, LiveNamespace, LiveSocket } from '../live/live-io.js';
import type { StateStore } from '../state/types.js';
import type { AuthService } from './auth-service.js';
import { allows, limitedToZones, type Identity } from './policy.js';

/** Rooms that receive every alert, or those of one zone or one assignee (field users). */
export const ALERT_ROOM_ALL = 'alerts:all';
const zoneRoom = (zone: string) => `alerts:zone:${zone}`;
const userRoom = (name: string) => `alerts:user:${name}`;

/** The rooms an alert goes to: everyone who sees the whole city, its zone, its assignee. */
export function alertRooms(alert: Pick<Alert, 'zone' | 'assignee'>): string[] {
  const rooms = [ALERT_ROOM_ALL];
  if (alert.zone !== undefined) rooms.push(zoneRoom(alert.zone));
  if (alert.assignee !== undefined) rooms.push(userRoom(alert.assignee));
  return rooms;
}

export function summaryRooms(summaries: readonly AlertSummary[]): string[] {
  return [ALERT_ROOM_ALL, ...new Set(summaries.map((s) => zoneRoom(s.zone)))];
}

type SessionRequest = IncomingMessage & { session?: { username?: string; tokenHash?: string }; sessionID?: string };

/** How often open sockets are checked against their session (signed out, expired, disabled). */
const RECHECK_MS = 30_000;

/**
 * socket.io's door: the handshake must carry a session cookie (express-session runs on the
 * engine's requests) or `auth: {token}`; otherwise `connect_error` "unauthorized". Each socket
 * joins the alert rooms its identity may see, and is disconnected when its session ends.
 */
export function installSocketAuth(deps: {
  io: LiveIo;
  nsp: LiveNamespace;
  sessionMiddleware: RequestHandler;
  auth: AuthService;
  state: StateStore;
  logger: Logger;
  clock?: () => number;
}): { stop(): void } {
  const { io, nsp, auth, state, logger } = deps;
  const clock = deps.clock ?? Date.now;
  /** Asks again whether the socket's identity still holds (session alive, user enabled, token not revoked). */
  const revalidators = new WeakMap<LiveSocket, () => Promise<boolean>>();
  io.engine.use(deps.sessionMiddleware);

  nsp.use((socket, next) => {
    const resolve = async (): Promise<Identity | undefined> => {
      const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      if (typeof token === 'string' && token.length > 0) {
        revalidators.set(socket, async () => (await auth.identityOfToken(token)) !== undefined);
        return auth.identityOfToken(token);
      }
      const request = socket.request as SessionRequest;
      const sid = request.sessionID;
      const { username, tokenHash } = request.session ?? {};
      if (sid === undefined || (username === undefined && tokenHash === undefined)) return undefined;
      const lookup = () => (tokenHash !== undefined ? auth.identityOfTokenHash(tokenHash) : auth.identityOfUser(username ?? ''));
      revalidators.set(socket, async () => (await state.getSession(sid, clock())) !== undefined && (await lookup()) !== undefined);
      return lookup();
    };
    resolve().then(
      (identity) => {
        if (identity === undefined || !allows(identity, 'live.read')) return next(new Error('unauthorized'));
        if (!allows(identity, 'alerts.read')) {
          // No alert rooms.
        } else if (limitedToZones(identity)) {
          void socket.join([userRoom(identity.name), ...identity.zones.map(zoneRoom)]);
        } else void socket.join(ALERT_ROOM_ALL);
        next();
      },
      (err: Error) => {
        logger.warn('socket identity lookup failed', { error: err.message });
        next(new Error('unavailable'));
      },
    );
  });

  const timer = setInterval(() => {
    for (const socket of nsp.sockets.values()) {
      const stillValid = revalidators.get(socket) ?? (() => Promise.resolve(false));
      stillValid().then(
        (ok) => {
          if (!ok) socket.disconnect(true);
        },
        (err: Error) => logger.warn('socket session check failed', { error: err.message }),
      );
    }
  }, RECHECK_MS);
  timer.unref();

  return { stop: () => clearInterval(timer) };
}
