import { z } from 'zod';
import { DurationSchema } from '../contract/duration.js';
import { EscalationConfigSchema, NotifyConfigSchema, ReportsConfigSchema } from './field-schema.js';
import { CameraConfigSchema, CameraEventsConfigSchema, KpisConfigSchema, QualityConfigSchema, WallConfigSchema } from './wall-schema.js';
import { defaultDomains, DEFAULT_STALE_AFTER_MS, DOMAIN_PATTERN, GeoAreaSchema, RoleSchema, RuleInputSchema, staleAfterIn } from '../contract/index.js';

const PortSchema = z.number().int().min(0).max(65535);

const DomainConfigSchema = z.strictObject({
  /** An entity that has not reported for this long is shown as stale. */
  staleAfter: DurationSchema.default(DEFAULT_STALE_AFTER_MS),
  /** Whether the console draws it as a map layer (false for event streams without a place, e.g. dossiers). */
  layer: z.boolean().default(true),
  label: z.strictObject({ vi: z.string(), en: z.string() }).optional(),
});

const ZoneFeatureSchema = z.strictObject({
  id: z.string().min(1),
  name: z.strictObject({ vi: z.string(), en: z.string() }),
  geometry: GeoAreaSchema,
});

/** Every setting, its default and its meaning. Environment overrides are listed in ENV_OVERRIDES. */
export const ConfigSchema = z.strictObject({
  port: PortSchema.default(8080),
  host: z.string().default('0.0.0.0'),
  dataDir: z.string().min(1).default('./data'),
  mqtt: z
    .strictObject({
      /** External broker; when unset an in-process broker runs. */
      url: z.url({ protocol: /^(mqtts?|wss?|tcp)$/ }).optional(),
      /** Port of the in-process broker. */
      port: PortSchema.default(1883),
      /**
       * The ingest client's id on an external broker; the in-process broker refuses any client taking it. Unset:
       * `ioc-ingest`, or `ioc-ingest-<host name>` with a shared group, so nodes never take over each other's
       * session (see `ingestClientId`).
       */
      clientId: z.string().min(1).max(64).optional(),
      /** Largest MQTT packet a client may send the in-process broker (bytes); a larger one closes its connection. */
      maxPacketSize: z.number().int().min(1024).max(268_435_455).default(262_144),
      username: z.string().optional(),
      password: z.string().optional(),
      /** MQTT 5 shared-subscription group for scale-out (`$share/<group>/...`); unset: plain subscription. */
      sharedGroup: z.string().regex(/^[A-Za-z0-9_-]+$/).optional(),
      topicRoot: z.string().regex(/^[^#+]+$/).default('city'),
      rejectedTopicRoot: z.string().regex(/^[^#+]+$/).default('ioc/rejected'),
      /** External Mosquitto with the dynamic-security plugin: device credentials are created through it. */
      dynsec: z
        .strictObject({
          username: z.string().min(1),
          password: z.string().min(1),
          /** Topic of the plugin's control API. */
          controlTopic: z.string().default('$CONTROL/dynamic-security/v1'),
        })
        .optional(),
    })
    .prefault({}),
  influx: z
    .strictObject({
      /** InfluxDB base URL (v1-compatible API); when unset the embedded store is used. */
      url: z.url({ protocol: /^https?$/ }).optional(),
      db: z.string().min(1).default('ioc'),
      token: z.string().optional(),
      batchSize: z.number().int().min(1).max(100_000).default(5000),
      flushInterval: DurationSchema.default(1000),
      /**
       * ...or as soon as no observation has come for this long: the tail of a burst reaches InfluxDB (and
       * history) within 0.1–0.2 s instead of waiting out `flushInterval`, while steady traffic still
       * fills whole batches (BENCHMARKS.md, ingest).
       */
      idleFlush: DurationSchema.default(100),
      /** Lines held while the store is unreachable; beyond this the oldest are dropped and counted. */
      maxBufferLines: z.number().int().min(1000).default(500_000),
    })
    .prefault({}),
  /** The telemetry store, whichever it is (InfluxDB or embedded); docs/ARCHITECTURE.md "Telemetry store". */
  store: z
    .strictObject({
      /** Raw observations kept this long, then only as 1-minute rows (numbers averaged, other values and position the last). */
      retention: z
        .strictObject({
          /** Off: everything stays raw for ever (and InfluxDB retention policies are left alone). */
          enabled: z.boolean().default(true),
          /** Raw data kept for this long (InfluxDB: at least 1h, its shortest retention policy). */
          raw: DurationSchema.pipe(z.number().min(1000)).default(30 * 86_400_000),
          /** The 1-minute rows kept for this long (should exceed `raw`). */
          downsampled: DurationSchema.pipe(z.number().min(1000)).default(400 * 86_400_000),
          /** How often downsampling runs: InfluxDB's continuous query (RESAMPLE EVERY), the embedded store's compaction pass. */
          interval: DurationSchema.pipe(z.number().min(100)).default(5 * 60_000),
        })
        .refine((r) => !r.enabled || r.downsampled >= r.raw, {
          message: 'downsampled must be at least raw: the minutes replace raw data once it expires',
          path: ['downsampled'],
        })
        .prefault({}),
      embedded: z
        .strictObject({
          /** Observations the embedded store holds unwritten; beyond this the oldest are dropped and counted (ingest is slowed at half). */
          maxBuffered: z.number().int().min(1000).default(500_000),
        })
        .prefault({}),
      /**
       * The write-ahead log in `<dataDir>/wal`: MQTT PUBACKs and HTTP 202s leave only once what they acknowledge
       * is in it, and a process killed before the store wrote it replays it at the next start.
       */
      wal: z
        .strictObject({
          /** Off: acknowledged data still in the store's buffer is lost when the process is killed. */
          enabled: z.boolean().default(true),
          /** fdatasync each group commit, so a power cut loses nothing acknowledged either (off: a killed process only). */
          fsync: z.boolean().default(true),
        })
        .prefault({}),
    })
    .prefault({}),
  redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
  /** PostgreSQL for the state store (users, sessions, tokens, devices, audit, rules, alerts); unset: SQLite in dataDir. */
  postgresUrl: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  /**
   * Reverse proxies in front of the product (express's `trust proxy`: a hop count, or addresses /
   * subnets such as "127.0.0.1" or "10.0.0.0/8"). Set it behind a proxy, or every caller looks like
   * the proxy: one login-throttle budget for all, the proxy's address in the audit, and loopback
   * ingest open to everyone when the proxy runs on the same machine.
   */
  trustProxy: z.union([z.number().int().min(0).max(10), z.string().min(1)]).optional(),
  /** The URL people open: links in notifications, the OIDC redirect, Secure cookies when https. Default http://localhost:<port>. */
  publicUrl: z.url({ protocol: /^https?$/ }).optional(),
  auth: z
    .strictObject({
      /** Password of the `admin` user created on first start; unset: generated, printed once, kept in <dataDir>/admin-password.txt. */
      adminPassword: z.string().min(10).max(256).optional(),
      /** A signed-in person is signed out after this long without activity (display sessions never idle out). */
      idleTimeout: DurationSchema.pipe(z.number().min(1000)).default(30 * 60_000),
      /** Failed logins allowed per username+address before 429; per address alone it is five times this. */
      maxFailedLogins: z.number().int().min(1).max(1000).default(5),
      /** How long those failures are remembered, and how long the block lasts. */
      failedLoginWindow: DurationSchema.default(15 * 60_000),
      /** Origins (scheme://host:port) allowed to make state-changing requests besides publicUrl's; also the CORS allow-list. */
      allowedOrigins: z.array(z.url()).default([]),
      /** Create demo accounts (operator, field, analyst, display token) when the simulator runs; unset: follows `simulate`. */
      demoAccounts: z.boolean().optional(),
      /** OpenID Connect single sign-on (code flow with PKCE). */
      oidc: z
        .strictObject({
          issuer: z.url(),
          clientId: z.string().min(1),
          clientSecret: z.string().min(1).optional(),
          scopes: z.string().default('openid profile email'),
          /** Claim holding the user's roles or groups (a list or a space-separated string). */
          rolesClaim: z.string().min(1).default('roles'),
          /** Claim value → product roles; claim values not in the map are ignored. */
          roleMap: z.record(z.string(), z.array(RoleSchema)).default({}),
          /** Claim holding the user's zones (optional). */
          zonesClaim: z.string().min(1).optional(),
          /** Claim used as the username. */
          usernameClaim: z.string().min(1).default('preferred_username'),
          /** Label of the sign-in button. */
          label: z.string().default('Single sign-on'),
        })
        .optional(),
    })
    .prefault({}),
  simulate: z.boolean().optional(),
  simulator: z
    .strictObject({
      /** Observations per second the demo city publishes. */
      rate: z.number().positive().max(1_000_000).default(300),
      /** Share of simulator traffic sent over HTTP instead of MQTT. */
      httpShare: z.number().min(0).max(1).default(0.05),
      seed: z.number().int().default(42),
      /** Also publish public-service dossiers and Frigate camera events (the KPI board and camera layer). */
      eventStreams: z.boolean().default(true),
      /** Past dossiers published at start, so the KPI board has a history. */
      dossierBackfill: DurationSchema.default(3 * 86_400_000),
    })
    .prefault({}),
  http: z
    .strictObject({
      /** Longest wait for a request's headers; a client that trickles them is cut off (slowloris). */
      headersTimeout: DurationSchema.pipe(z.number().min(1000)).default(20_000),
      /** Longest time to receive a whole request, body included (answers may stream longer). */
      requestTimeout: DurationSchema.pipe(z.number().min(1000)).default(120_000),
      /** How long an idle keep-alive connection stays open. */
      keepAliveTimeout: DurationSchema.pipe(z.number().min(1000)).default(5_000),
      /** Most open HTTP and socket.io connections at once; beyond it new ones are refused. */
      maxConnections: z.number().int().min(10).max(1_000_000).default(20_000),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** Largest accepted HTTP body or MQTT payload. */
      maxPayloadBytes: z.number().int().min(1024).default(1_048_576),
      /** Observations dated further in the future than this are rejected. */
      maxFuture: DurationSchema.default(300_000),
      /** Observations dated further in the past than this are rejected. */
      maxPast: DurationSchema.default(365 * 86_400_000),
      /** Static bearer tokens accepted by POST /api/v1/ingest besides API tokens with scope `ingest`. */
      tokens: z.array(z.string().min(8)).default([]),
      /** Ingest from a loopback address needs no credentials (demo, mosquitto_pub on the same machine). */
      allowLoopback: z.boolean().default(true),
      /**
       * Field kinds declared per domain (domain → field → number | integer | string | boolean). A value of another kind is
       * refused with the reason; undeclared fields take the kind the store holds, else the first value's (a number's
       * is always `number`). An `integer` field keeps 64-bit integers exactly: line protocol `42i`/`42u` up to
       * 9223372036854775807, JSON numbers when whole and within ±9007199254740991.
       */
      fieldTypes: z
        .record(z.string().regex(DOMAIN_PATTERN), z.record(z.string().min(1), z.enum(['number', 'integer', 'string', 'boolean'])))
        .default({}),
      /** How often field kinds are read again from the store, so nodes sharing one InfluxDB agree on them. */
      fieldTypesRefresh: DurationSchema.pipe(z.number().min(1_000)).default(30_000),
    })
    .prefault({}),
  /** Bounds on what one request may read, so no single request holds the server (docs/ARCHITECTURE.md, "Hard limits"). */
  limits: z
    .strictObject({
      /** Longest time range a rule backtest replays; a longer one is refused with the reason. */
      backtestRange: DurationSchema.pipe(z.number().min(60_000)).default(31 * 86_400_000),
      /** Longest time range of one entity-history request; a longer one is refused with the reason. */
      historyRange: DurationSchema.pipe(z.number().min(60_000)).default(400 * 86_400_000),
    })
    .prefault({}),
  live: z
    .strictObject({
      /** Interval between coalesced deltas to each socket (≥ 100 ms: at most 10 deltas per second). */
      deltaInterval: DurationSchema.pipe(z.number().min(100)).default(100),
      /**
       * Most entities in one delta; more changed in one interval go out in the next ones, oldest first.
       * 10 000 costs the console 7–9 ms of main thread on the reference machine (BENCHMARKS.md, suite 6).
       */
      maxEntitiesPerDelta: z.number().int().min(100).max(1_000_000).default(10_000),
      /** How often entities are checked for staleness. */
      staleCheckInterval: DurationSchema.default(5000),
      /** With Redis: how often a node asks the others which groups (layers + bbox) their sockets follow. */
      clusterPollInterval: DurationSchema.pipe(z.number().min(50)).default(1000),
    })
    .prefault({}),
  domains: z
    .record(z.string().regex(DOMAIN_PATTERN), DomainConfigSchema)
    .default(defaultDomains()),
  map: z
    .strictObject({
      center: z.tuple([z.number(), z.number()]).default([106.194, 21.273]),
      zoom: z.number().min(0).max(22).default(12),
      /** A full maplibre style URL for deployments with a real basemap (it may use pmtiles:// sources). */
      styleUrl: z.string().min(1).optional(),
      /** A PMTiles archive (vector or raster) on a server the browsers can reach: https://…, /path or pmtiles://…. */
      pmtilesUrl: z.string().min(1).optional(),
      /** A PMTiles archive on this machine: served by the product itself, so a closed network needs nothing else. */
      pmtilesFile: z.string().min(1).optional(),
      /** An XYZ raster tile URL template with {z}, {x} and {y}, e.g. a city's own tile server. */
      tileUrl: z
        .string()
        .refine((url) => ['{z}', '{x}', '{y}'].every((part) => url.includes(part)), {
          message: 'must contain {z}, {x} and {y}',
        })
        .optional(),
      /** Pixel size of the tiles at tileUrl. */
      tileSize: z.union([z.literal(256), z.literal(512)]).default(256),
      /** Highest zoom the tile server has; the map scales those tiles up beyond it. */
      tileMaxZoom: z.number().int().min(0).max(24).default(19),
      /** Credit shown on the map for the basemap (tile and PMTiles basemaps). */
      attribution: z.string().optional(),
      /** City zones (wards and communes) drawn on the map and usable by rules. */
      zones: z.array(ZoneFeatureSchema).default([]),
      /** A GeoJSON FeatureCollection of real ward boundaries (properties `id`, `name` or `name_vi`/`name_en`), added to `zones`. */
      zonesFile: z.string().min(1).optional(),
    })
    .refine(
      (map) => [map.styleUrl, map.pmtilesUrl, map.pmtilesFile, map.tileUrl].filter((v) => v !== undefined).length <= 1,
      { message: 'set at most one basemap: styleUrl, pmtilesUrl, pmtilesFile or tileUrl' },
    )
    .prefault({}),
  rules: z.array(RuleInputSchema).default([]),
  wall: WallConfigSchema,
  /** Cameras whose Frigate events are taken (domain `camera`); the demo city adds its own. */
  cameras: z.array(CameraConfigSchema).default([]),
  cameraEvents: CameraEventsConfigSchema,
  kpis: KpisConfigSchema,
  quality: QualityConfigSchema,
  /** Notification channels: Web Push, email, webhooks, Telegram, Zalo OA. */
  notify: NotifyConfigSchema,
  /** Citizen reports: categories with deadlines, public rate limits, photos. */
  reports: ReportsConfigSchema,
  /** Escalation policies for alerts and reports. */
  escalation: EscalationConfigSchema,
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** `IOC_*` environment variables and the config key each overrides. */
export const ENV_OVERRIDES = {
  IOC_PORT: { path: ['port'], type: 'int' },
  IOC_HOST: { path: ['host'], type: 'string' },
  IOC_MQTT_URL: { path: ['mqtt', 'url'], type: 'string' },
  IOC_MQTT_PORT: { path: ['mqtt', 'port'], type: 'int' },
  IOC_MQTT_SHARED_GROUP: { path: ['mqtt', 'sharedGroup'], type: 'string' },
  IOC_MQTT_CLIENT_ID: { path: ['mqtt', 'clientId'], type: 'string' },
  IOC_INFLUX_URL: { path: ['influx', 'url'], type: 'string' },
  IOC_INFLUX_DB: { path: ['influx', 'db'], type: 'string' },
  IOC_INFLUX_TOKEN: { path: ['influx', 'token'], type: 'string' },
  IOC_DATA_DIR: { path: ['dataDir'], type: 'string' },
  IOC_REDIS_URL: { path: ['redisUrl'], type: 'string' },
  IOC_POSTGRES_URL: { path: ['postgresUrl'], type: 'string' },
  IOC_PUBLIC_URL: { path: ['publicUrl'], type: 'string' },
  IOC_TRUST_PROXY: { path: ['trustProxy'], type: 'string' },
  IOC_ADMIN_PASSWORD: { path: ['auth', 'adminPassword'], type: 'string' },
  IOC_SIMULATE: { path: ['simulate'], type: 'bool' },
  IOC_SIMULATE_RATE: { path: ['simulator', 'rate'], type: 'number' },
  IOC_LOG_LEVEL: { path: ['logLevel'], type: 'string' },
  IOC_MAP_STYLE_URL: { path: ['map', 'styleUrl'], type: 'string' },
  IOC_MAP_PMTILES_URL: { path: ['map', 'pmtilesUrl'], type: 'string' },
  IOC_MAP_PMTILES_FILE: { path: ['map', 'pmtilesFile'], type: 'string' },
  IOC_MAP_TILE_URL: { path: ['map', 'tileUrl'], type: 'string' },
  IOC_MAP_ZONES_FILE: { path: ['map', 'zonesFile'], type: 'string' },
} as const satisfies Record<string, { path: string[]; type: 'int' | 'number' | 'string' | 'bool' }>;

/** Each domain's silence limit in ms; a domain the config does not name gets the schema's default. */
export function staleAfterOf(domains: Config['domains']): (domain: string) => number {
  return staleAfterIn(domains);
}

/**
 * The ingest client's MQTT id: the configured one, else `ioc-ingest`, else (several nodes on one broker through a
 * shared group) `ioc-ingest-<host name>`. Two clients with one id take the session from each other in turn, so
 * every node needs its own, and a stable one: the broker keeps its QoS 1 session across restarts by that id.
 */
export function ingestClientId(mqtt: { clientId?: string | undefined; sharedGroup?: string | undefined }, host: string): string {
  if (mqtt.clientId !== undefined) return mqtt.clientId;
  if (mqtt.sharedGroup === undefined) return 'ioc-ingest';
  const name = host.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40) || 'node';
  return `ioc-ingest-${name}`;
}
