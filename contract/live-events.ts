import { z } from 'zod';
import type { Alert, AlertSummary } from './alert.js';
import type { Report } from './field.js';
import { BboxSchema, type Entity } from './entity.js';
import { DomainSchema } from './observation.js';
import { DELTA_ENCODINGS, type ColumnDelta, type DeltaEncoding } from './live-columns.js';

export const LIVE_NAMESPACE = '/live';
/** The most `delta` events a socket receives per second; updates in between are coalesced per entity. */
export const MAX_DELTAS_PER_SECOND = 10;

export const SubscribeRequestSchema = z.object({
  layers: z.array(DomainSchema).max(64),
  bbox: BboxSchema.optional(),
  /** `columns`: deltas come as `deltaColumns` instead of `delta` (same content, cheaper to decode); default `json`. */
  encoding: z.enum(DELTA_ENCODINGS).optional(),
});
export type SubscribeRequest = z.infer<typeof SubscribeRequestSchema>;

export interface ApiError {
  code: string;
  message: string;
}

/** Ack of `subscribe`: the current entities of the requested layers; `error` when the request was invalid. */
export interface Snapshot {
  ts: number;
  entities: Entity[];
  error?: ApiError;
  /**
   * Set when some nodes of a cluster did not answer in time: `entities` holds what the others had, and
   * entities known only to the silent nodes arrive as deltas when they next change. The snapshot is usable.
   */
  partial?: ApiError;
}

export interface Delta {
  ts: number;
  /**
   * The server's delta tick number: never decreasing for a socket while it stays connected. Ticks
   * with nothing for this socket are skipped, so gaps are normal; a smaller value than the last one
   * means the server restarted, and the client should resubscribe.
   */
  seq: number;
  upserts: Entity[];
  /** Entity keys ("<domain>/<id>") that left the subscription. */
  removes: string[];
}

/** How often each node sends `heartbeat` to its /live sockets, ms, whether or not anything changed. */
export const HEARTBEAT_INTERVAL_MS = 5_000;

/**
 * The server's pulse on /live: it proves the connection carries events even when the city is quiet
 * (deltas only come with changes), and says when each domain last received data, so a display can
 * tell a quiet city from a feed that stopped.
 */
export const HeartbeatSchema = z.object({
  /** Server time of the beat, ms. */
  ts: z.number(),
  /** The server's `live.deltaInterval`: deltas come at most this often, ms. */
  deltaInterval: z.number(),
  /** Per domain, server time of the newest observation this node took in (domains heard since it started). */
  received: z.record(z.string(), z.number()),
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

export interface ServerToClientEvents {
  delta: (delta: Delta) => void;
  /** Instead of `delta`, for sockets that subscribed with `encoding: 'columns'`. */
  deltaColumns: (delta: ColumnDelta) => void;
  alert: (alert: Alert) => void;
  alertSummary: (summary: AlertSummary[]) => void;
  /** A citizen report created or moved; never carries the contact (staff read it over REST). */
  report: (report: Report) => void;
  /** Every HEARTBEAT_INTERVAL_MS. */
  heartbeat: (beat: Heartbeat) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (snapshot: Snapshot) => void) => void;
}

export type InterServerEvents = Record<string, never>;

export interface LiveSocketData {
  layers: string[];
  bbox?: [number, number, number, number];
  encoding?: DeltaEncoding;
}
