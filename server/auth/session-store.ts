import session, { type SessionData } from 'express-session';
import type { Logger } from '../../config/logger.js';
import type { StateStore } from '../state/types.js';

/** What the product keeps in a session besides express-session's cookie data. */
declare module 'express-session' {
  interface SessionData {
    username: string;
    /** Display (wall) sessions never idle out. */
    display: boolean;
    /** A wall display opened with a display token: the token's SHA-256 (revoking the token ends the session). */
    tokenHash: string;
  }
}

/**
 * express-session's Store over the state store, so sessions live where users do (SQLite or the
 * PostgreSQL every node shares) and survive restarts.
 */
export class StateSessionStore extends session.Store {
  constructor(
    private readonly state: StateStore,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    super();
  }

  private expiryOf(data: SessionData): number {
    const expires = data.cookie.expires;
    const at = expires ? new Date(expires).getTime() : NaN;
    // A session cookie without expiry still lapses server-side after a day.
    return Number.isFinite(at) ? at : this.clock() + 86_400_000;
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    this.state.getSession(sid, this.clock()).then(
      (record) => callback(null, record ? (JSON.parse(record.data) as SessionData) : null),
      (err: unknown) => callback(err),
    );
  }

  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    const record = { data: JSON.stringify(data), expiresAt: this.expiryOf(data), ...(data.username ? { username: data.username } : {}) };
    this.state.setSession(sid, record).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override touch(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    this.state.touchSession(sid, this.expiryOf(data)).then(
      () => callback?.(),
      (err: unknown) => {
        this.logger.warn('session not renewed', { error: (err as Error).message });
        callback?.(err);
      },
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.state.destroySession(sid).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }
}
