import { match } from 'path-to-regexp';
import { z } from 'zod';
import {
  AlertSchema,
  AuditEntrySchema,
  AuditQuerySchema,
  AuthOptionsSchema,
  DeviceCreatedSchema,
  DeviceCreateSchema,
  DeviceInfoSchema,
  EntitiesQuerySchema,
  EntitySchema,
  HistoryQuerySchema,
  LoginRequestSchema,
  LoginResponseSchema,
  MeSchema,
  ObservationInputSchema,
  RuleInputSchema,
  TokenCreatedSchema,
  TokenCreateSchema,
  TokenInfoSchema,
  UserCreateSchema,
  UserPatchSchema,
  UserSchema,
} from '../../contract/index.js';
import {
  AlertsQuerySchema,
  AssignSchema,
  BacktestQuerySchema,
  ByNoteSchema,
  NoteSchema,
  SnoozeSchema,
} from '../alerts/routes.js';
import type { Permission } from '../auth/policy.js';
import { EXPORT_ROUTES } from '../export/routes.js';
import { REPLAY_ROUTES } from '../replay/routes.js';
import { WALL_ROUTES } from '../wall/routes.js';
import { NOTIFY_ROUTES } from '../notify/routes.js';
import { REPORT_ROUTES } from '../reports/routes.js';
import { ESCALATION_ROUTES } from '../escalation/routes.js';

/*
 * Every HTTP route of the product, with who may call it and the schemas of what it takes and
 * answers. One table drives three things: the authorizer at the door (a route not listed here is
 * refused), the OpenAPI document, and the test that walks every route with every role.
 */

export type Access =
  /** Anyone, signed in or not. */
  | 'public'
  /** Any signed-in person or any valid token. */
  | 'authenticated'
  | Permission;

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path from the server root, e.g. `/api/v1/users/:username`. */
  path: string;
  access: Access;
  summary: string;
  tag: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** Other request media types than JSON (ingest). */
  bodyTypes?: string[];
  /** A multipart/form-data body: each field, a file, several files, or text (JSON in a text field). */
  multipart?: Record<string, 'file' | 'files' | 'text'>;
  /** JSON answer of the success status. */
  response?: z.ZodType;
  /** Success status (default 200). */
  status?: number;
  /** Media type of a non-JSON answer. */
  produces?: string;
}

const RuleViewSchema = z
  .object({ id: z.string(), name: z.string(), domain: z.string(), source: z.enum(['config', 'api']) })
  .loose();
const AlertsAnswer = z.object({ alerts: z.array(AlertSchema) });
const IngestAnswer = z.object({
  accepted: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), error: z.string() })),
});

export const ROUTES: readonly RouteSpec[] = [
  // Health and metrics (outside /api/v1).
  { method: 'get', path: '/healthz', access: 'public', tag: 'ops', summary: 'Liveness: the process answers.' },
  {
    method: 'get',
    path: '/readyz',
    access: 'public',
    tag: 'ops',
    summary: 'Readiness: broker and stores reachable (503 with the reason otherwise).',
  },
  {
    method: 'get',
    path: '/metrics',
    access: 'metrics',
    tag: 'ops',
    summary: 'Prometheus metrics (token with scope `metrics`).',
    produces: 'text/plain',
  },

  // Identity.
  {
    method: 'get',
    path: '/wall',
    access: 'public',
    tag: 'auth',
    summary:
      'Wall display: `?token=<display token>` becomes a display session that never idles out, then redirects to /wall without the token.',
    query: z.strictObject({ token: z.string().optional() }),
    status: 303,
  },
  {
    method: 'get',
    path: '/api/v1/auth/options',
    access: 'public',
    tag: 'auth',
    summary: 'How the login page may sign people in (single sign-on when configured).',
    response: AuthOptionsSchema,
  },
  {
    method: 'post',
    path: '/api/v1/auth/login',
    access: 'public',
    tag: 'auth',
    summary:
      'Sign in with a username and password; sets the `ioc_session` cookie. 401 when wrong, 429 with Retry-After after repeated failures.',
    body: LoginRequestSchema,
    response: LoginResponseSchema,
  },
  {
    method: 'post',
    path: '/api/v1/auth/logout',
    access: 'authenticated',
    tag: 'auth',
    summary: 'Sign out (ends the session).',
    status: 204,
  },
  {
    method: 'get',
    path: '/api/v1/auth/me',
    access: 'authenticated',
    tag: 'auth',
    summary: 'Who is asking: username, roles, zones and permissions.',
    response: MeSchema,
  },
  {
    method: 'get',
    path: '/api/v1/auth/oidc/login',
    access: 'public',
    tag: 'auth',
    summary: 'Start single sign-on (OpenID Connect code flow with PKCE): redirects to the provider.',
    status: 302,
  },
  {
    method: 'get',
    path: '/api/v1/auth/oidc/callback',
    access: 'public',
    tag: 'auth',
    summary: 'Where the provider sends the browser back; signs in and redirects to the console.',
    status: 302,
  },

  {
    method: 'get',
    path: '/api/v1/users',
    access: 'admin',
    tag: 'admin',
    summary: 'List users.',
    response: z.object({ users: z.array(UserSchema) }),
  },
  {
    method: 'post',
    path: '/api/v1/users',
    access: 'admin',
    tag: 'admin',
    summary: 'Create a user.',
    body: UserCreateSchema,
    response: UserSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/api/v1/users/:username',
    access: 'admin',
    tag: 'admin',
    summary: 'One user.',
    response: UserSchema,
  },
  {
    method: 'patch',
    path: '/api/v1/users/:username',
    access: 'admin',
    tag: 'admin',
    summary:
      'Change a user (roles, zones, password, disabled, contact); disabling or a new password signs them out everywhere.',
    body: UserPatchSchema,
    response: UserSchema,
  },
  {
    method: 'delete',
    path: '/api/v1/users/:username',
    access: 'admin',
    tag: 'admin',
    summary: 'Delete a user and end their sessions.',
    status: 204,
  },
  {
    method: 'get',
    path: '/api/v1/tokens',
    access: 'admin',
    tag: 'admin',
    summary: 'List API tokens (never their secrets).',
    response: z.object({ tokens: z.array(TokenInfoSchema) }),
  },
  {
    method: 'post',
    path: '/api/v1/tokens',
    access: 'admin',
    tag: 'admin',
    summary: 'Create an API token; the secret is in this answer only.',
    body: TokenCreateSchema,
    response: TokenCreatedSchema,
    status: 201,
  },
  {
    method: 'delete',
    path: '/api/v1/tokens/:id',
    access: 'admin',
    tag: 'admin',
    summary: 'Revoke an API token.',
    status: 204,
  },
  {
    method: 'get',
    path: '/api/v1/devices',
    access: 'admin',
    tag: 'admin',
    summary: 'List MQTT device credentials (never their passwords).',
    response: z.object({ devices: z.array(DeviceInfoSchema) }),
  },
  {
    method: 'post',
    path: '/api/v1/devices',
    access: 'admin',
    tag: 'admin',
    summary:
      'Create MQTT credentials for one device, which may publish only to city/<domain>/<id>; the password is in this answer only.',
    body: DeviceCreateSchema,
    response: DeviceCreatedSchema,
    status: 201,
  },
  {
    method: 'delete',
    path: '/api/v1/devices/:id',
    access: 'admin',
    tag: 'admin',
    summary: "Delete a device's credentials.",
    status: 204,
  },
  {
    method: 'get',
    path: '/api/v1/audit',
    access: 'audit.read',
    tag: 'admin',
    summary: 'Audit log, newest first: logins, user/token/device changes, rule changes, alert moves, exports.',
    query: AuditQuerySchema,
    response: z.object({ entries: z.array(AuditEntrySchema) }),
  },
  { method: 'get', path: '/api/v1/openapi.json', access: 'authenticated', tag: 'ops', summary: 'This document.' },

  // Telemetry in.
  {
    method: 'post',
    path: '/api/v1/ingest',
    access: 'ingest',
    tag: 'ingest',
    summary:
      'Observations in: JSON (one or an array), SenML (`?domain=`), or line protocol. From loopback no credentials are needed while ingest.allowLoopback is true; otherwise a token with scope `ingest`.',
    body: z.union([ObservationInputSchema, z.array(ObservationInputSchema)]),
    bodyTypes: ['application/senml+json', 'text/plain'],
    response: IngestAnswer,
    status: 202,
  },

  // Live city.
  {
    method: 'get',
    path: '/api/v1/entities',
    access: 'live.read',
    tag: 'live',
    summary: 'Entities now (every node of a cluster).',
    query: EntitiesQuerySchema,
    response: z.object({ entities: z.array(EntitySchema) }).loose(),
  },
  {
    method: 'get',
    path: '/api/v1/entities/:domain/:id/history',
    access: 'history.read',
    tag: 'history',
    summary:
      "One entity's history, raw or downsampled (`every`). Raw points of integer fields also carry their exact decimal text in `integers`.",
    query: HistoryQuerySchema,
    response: z
      .object({
        domain: z.string(),
        id: z.string(),
        from: z.number(),
        to: z.number(),
        every: z.number().optional(),
        points: z.array(
          z.object({
            ts: z.number(),
            fields: z.record(z.string(), z.union([z.number(), z.boolean(), z.string(), z.null()])),
            integers: z.record(z.string(), z.string()).optional(),
          }),
        ),
      })
      .loose(),
  },
  {
    method: 'get',
    path: '/api/v1/console-config',
    access: 'live.read',
    tag: 'live',
    summary: 'Map, zones, basemap and domains for the console.',
  },

  // Rules.
  {
    method: 'get',
    path: '/api/v1/rules',
    access: 'rules.read',
    tag: 'rules',
    summary: 'Alert rules with their source (config or api).',
    response: z.object({ rules: z.array(RuleViewSchema) }),
  },
  {
    method: 'post',
    path: '/api/v1/rules',
    access: 'rules.write',
    tag: 'rules',
    summary: 'Create a rule.',
    body: RuleInputSchema,
    response: RuleViewSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/api/v1/rules/:id',
    access: 'rules.read',
    tag: 'rules',
    summary: 'One rule.',
    response: RuleViewSchema,
  },
  {
    method: 'put',
    path: '/api/v1/rules/:id',
    access: 'rules.write',
    tag: 'rules',
    summary: 'Replace a rule.',
    body: RuleInputSchema,
    response: RuleViewSchema,
  },
  {
    method: 'delete',
    path: '/api/v1/rules/:id',
    access: 'rules.write',
    tag: 'rules',
    summary: 'Delete an API rule (config rules can only be replaced or disabled).',
    status: 204,
  },
  {
    method: 'post',
    path: '/api/v1/rules/:id/backtest',
    access: 'history.read',
    tag: 'rules',
    summary: 'Replay stored data through a rule: the alerts it would have raised (`stream=1`: NDJSON progress).',
    query: BacktestQuerySchema,
  },

  // Alerts.
  {
    method: 'get',
    path: '/api/v1/alerts',
    access: 'alerts.read',
    tag: 'alerts',
    summary:
      'Alerts by state, severity, domain, rule, entity, assignee, zone and time (field users: assigned to them or in their zones).',
    query: AlertsQuerySchema,
    response: AlertsAnswer,
  },
  {
    method: 'get',
    path: '/api/v1/alerts/:id',
    access: 'alerts.read',
    tag: 'alerts',
    summary: 'One alert with its history.',
    response: AlertSchema,
  },
  {
    method: 'post',
    path: '/api/v1/alerts/:id/ack',
    access: 'alerts.act',
    tag: 'alerts',
    summary: 'Acknowledge (409 when the move is not allowed or someone moved it first).',
    body: ByNoteSchema,
    response: AlertSchema,
  },
  {
    method: 'post',
    path: '/api/v1/alerts/:id/assign',
    access: 'alerts.assign',
    tag: 'alerts',
    summary: 'Assign to a person or team.',
    body: AssignSchema,
    response: AlertSchema,
  },
  {
    method: 'post',
    path: '/api/v1/alerts/:id/snooze',
    access: 'alerts.act',
    tag: 'alerts',
    summary: 'Snooze until a time or for a duration.',
    body: SnoozeSchema,
    response: AlertSchema,
  },
  {
    method: 'post',
    path: '/api/v1/alerts/:id/resolve',
    access: 'alerts.act',
    tag: 'alerts',
    summary: 'Resolve.',
    body: ByNoteSchema,
    response: AlertSchema,
  },
  {
    method: 'post',
    path: '/api/v1/alerts/:id/note',
    access: 'alerts.act',
    tag: 'alerts',
    summary: 'Add a note.',
    body: NoteSchema,
    response: AlertSchema,
  },

  // The city at any past moment, and its data out in open formats.
  ...REPLAY_ROUTES,
  ...EXPORT_ROUTES,
  ...WALL_ROUTES,

  // Field teams: citizen reports and photos, notifications, escalation policies.
  ...REPORT_ROUTES,
  ...NOTIFY_ROUTES,
  ...ESCALATION_ROUTES,

  // Basemap archive served by the product. Public: it is a street map, not city data, and the
  // citizen report page (no account) draws it under its place picker.
  {
    method: 'get',
    path: '/basemap/:name',
    access: 'public',
    tag: 'live',
    summary: 'The local PMTiles basemap (range requests).',
    produces: 'application/vnd.pmtiles',
  },
];

export interface MatchedRoute {
  spec: RouteSpec;
  params: Record<string, string>;
}

/** Finds the catalog entry for a request; undefined when the method and path match no route. */
export function createRouteMatcher(
  routes: readonly RouteSpec[] = ROUTES,
): (method: string, path: string) => MatchedRoute | undefined {
  const compiled = routes.map((spec) => ({
    spec,
    test: match<Record<string, string>>(spec.path, { decode: decodeURIComponent }),
  }));
  return (method, path) => {
    const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    for (const { spec, test } of compiled) {
      if (spec.method !== m) continue;
      const found = test(path);
      if (found) return { spec, params: found.params };
    }
    return undefined;
  };
}
