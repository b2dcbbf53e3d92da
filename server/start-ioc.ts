import { hostname } from 'node:os';
import { createServer, type RequestListener, type Server as HttpServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { Server } from 'socket.io';
import { LIVE_NAMESPACE } from '../contract/index.js';
import { ingestClientId, staleAfterOf, type Config } from '../config/schema.js';
import { createLogger, redactUrlPasswords, type Logger } from '../config/logger.js';
import { createIngestRouter } from '../ingest/http/receiver.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../ingest/mqtt/embedded-broker.js';
import { startMqttIngest, type MqttIngest } from '../ingest/mqtt/subscriber.js';
import { createBrokerIngest } from '../ingest/mqtt/broker-ingest.js';
import { createIngestCounters } from '../ingest/sink.js';
import { createFieldTypeRegistry } from '../ingest/field-types.js';
import { simulatedCameras, startSimulatorFeed, type SimulatorFeed } from './simulator-feed.js';
import { startHeartbeat } from './wall/heartbeat.js';
import { startWall } from './wall/start-wall.js';
import { startField } from './field/start-field.js';
import { createHttpApp } from './http/http-app.js';
import { basemapFor, createBasemapRouter, inspectPmtilesFile } from './http/basemap.js';
import { createEntityRouter } from './http/entity-routes.js';
import { createMetricsRegistry } from './http/metrics.js';
import { collectMetrics, startIngestToStoreProbe } from './product-metrics.js';
import { installRedisFanout } from './live/redis-fanout.js';
import { createLiveServer, type LiveIo } from './live/live-server.js';
import { createLiveState } from './live/live-state.js';
import { createPipeline } from './pipeline.js';
import { createZoneLookup, startAlerts } from './alerts/start-alerts.js';
import { createAlertsRouter } from './alerts/routes.js';
import { backpressureMarks, createStore } from './store/index.js';
import { openWriteAheadLog, replayWriteAheadLog } from './store/write-ahead-log.js';
import session from 'express-session';
import { createAuditRouter } from './admin/audit-routes.js';
import { createTokensRouter } from './admin/tokens-routes.js';
import { createUsersRouter } from './admin/users-routes.js';
import { createAuditLog } from './audit/audit-log.js';
import { createAuthService } from './auth/auth-service.js';
import { createAuthorizer } from './auth/authorizer.js';
import { bootstrapAccounts, forgetGeneratedAdminPassword, type SignInBanner } from './auth/bootstrap.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createOidcRouter } from './auth/oidc.js';
import { createAuthRouter, createWallEntryRouter } from './auth/routes.js';
import { randomSecret } from './auth/secrets.js';
import { StateSessionStore } from './auth/session-store.js';
import { installSocketAuth } from './auth/socket-auth.js';
import { createOpenApiRouter } from './http/openapi.js';
import { createRouteMatcher, ROUTES } from './http/route-catalog.js';
import { cors, originCheck, securityHeaders } from './http/security.js';
import { createStateStore } from './state/index.js';
import { createReplayRouter } from './replay/routes.js';
import { createExportRouter } from './export/routes.js';
import { createBrokerAuth, createInternalCredential, type BrokerAuth } from './devices/broker-auth.js';
import { createDeviceService } from './devices/device-service.js';
import { connectDynsec, type DynsecClient } from './devices/dynsec.js';
import { createDeviceRouter } from './devices/routes.js';

/** How far ahead the field catalogue is read at start: every field the store holds, future-dated ones too. */
const FIELD_KEYS_HORIZON_MS = 10 * 365 * 86_400_000;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface RunningIoc {
  /** HTTP + socket.io port actually bound. */
  port: number;
  /** Port of the in-process broker, when it runs. */
  mqttPort: number | undefined;
  mqttUrl: string;
  /** How to sign in (admin password on first start, demo accounts): for the start banner. */
  signIn: SignInBanner;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Where the built console lives (default dist/client). */
  clientDir?: string;
}

/** Composition root: wires store, live state, pipeline, broker, ingest, socket.io, HTTP and the simulator. */
export async function startIoc(config: Config, options: StartOptions = {}): Promise<RunningIoc> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (err) {
        logger.warn('shutdown step failed', { error: (err as Error).message });
      }
    }
  };

  try {
    // A missing or broken basemap archive stops start-up with the key to fix, before anything listens.
    const basemapFile = config.map.pmtilesFile !== undefined ? inspectPmtilesFile(config.map.pmtilesFile) : undefined;
    const basemap = basemapFor(config.map, basemapFile);
    const clientDir = options.clientDir ?? path.join(ROOT, 'dist', 'client');
    if (basemapFile) logger.info('serving the PMTiles basemap', { ...basemapFile, url: basemap.kind === 'pmtiles' ? basemap.url : '' });

    const store = createStore(config, logger.child({ module: 'store' }));
    await store.init();
    cleanups.push(() => store.close());
    // What an earlier process acknowledged but the store had not written is written before anything reads it.
    const walDir = path.join(config.dataDir, 'wal');
    if (config.store.wal.enabled) await replayWriteAheadLog(walDir, store, logger.child({ module: 'wal' }));
    const metricsRegistry = createMetricsRegistry();
    const wal = config.store.wal.enabled
      ? openWriteAheadLog(
          store,
          { dir: walDir, fsync: config.store.wal.fsync, onSync: (seconds) => metricsRegistry.walSync.observe(seconds) },
          logger.child({ module: 'wal' }),
        )
      : undefined;

    // People, sessions, tokens, devices, audit, rules and alerts (docs/ARCHITECTURE.md, "State store").
    const state = createStateStore(config, logger.child({ module: 'state' }));
    await state.init();
    cleanups.push(() => state.close());
    const audit = createAuditLog({ store: state, logger: logger.child({ module: 'audit' }) });
    cleanups.push(() => audit.flush());
    const auth = createAuthService({
      state,
      throttle: createLoginThrottle({ maxFailures: config.auth.maxFailedLogins, windowMs: config.auth.failedLoginWindow }),
      logger: logger.child({ module: 'auth' }),
    });
    // One signing key for session cookies, shared by every node through the state store.
    const sessionSecret = await state.putSettingIfAbsent('session.secret', randomSecret(32));
    const sessionMiddleware = session({
      name: 'ioc_session',
      secret: sessionSecret,
      store: new StateSessionStore(state, logger.child({ module: 'sessions' })),
      resave: false,
      saveUninitialized: false,
      // Every request renews the idle timeout; display sessions carry their own long maxAge.
      rolling: true,
      unset: 'destroy',
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.publicUrl?.startsWith('https:') ?? false, maxAge: config.auth.idleTimeout, path: '/' },
    });
    const sessionPrune = setInterval(() => {
      state.pruneSessions(Date.now()).catch((err: Error) => logger.warn('expired sessions not pruned', { error: err.message }));
    }, 10 * 60_000);
    sessionPrune.unref();
    cleanups.push(() => clearInterval(sessionPrune));

    const live = createLiveState(staleAfterOf(config.domains));
    const known = await store.latest({ lookback: 24 * 3_600_000 });
    live.seed(known, (obs) => obs.ts);
    live.takeDirty();
    logger.info('live state seeded from the store', { entities: live.size() });

    // The marks come from the buffer of the store actually fed (influx.maxBufferLines or store.embedded.maxBuffered).
    const pipeline = createPipeline({ store, live, ...backpressureMarks(store), logger, ...(wal ? { wal } : {}) });
    // Runs after the pipeline's last delivery: the log goes once the store has written everything.
    if (wal) cleanups.push(() => wal.close());
    cleanups.push(() => pipeline.flushPending());

    let broker: EmbeddedBroker | undefined;
    // The product's own MQTT clients log in to the embedded broker with a credential made at every start.
    const internalMqtt = createInternalCredential();
    let brokerAuth: BrokerAuth | undefined;
    if (!config.mqtt.url) {
      brokerAuth = createBrokerAuth({
        state,
        topicRoot: config.mqtt.topicRoot,
        allowLoopback: config.ingest.allowLoopback,
        internal: internalMqtt,
        logger: logger.child({ module: 'broker-auth' }),
      });
    }
    // Set once the in-process broker listens (it starts last, with ingest inside it).
    let mqttUrl = config.mqtt.url ?? '';

    let dynsec: DynsecClient | undefined;
    if (config.mqtt.url && config.mqtt.dynsec) {
      dynsec = await connectDynsec({ url: config.mqtt.url, ...config.mqtt.dynsec, logger: logger.child({ module: 'dynsec' }) });
      cleanups.push(() => dynsec?.close());
    }
    const devices = createDeviceService({ state, topicRoot: config.mqtt.topicRoot, ...(dynsec ? { dynsec } : {}) });

    const counters = createIngestCounters();
    cleanups.push(startIngestToStoreProbe({ store, counters, observe: (seconds) => metricsRegistry.ingestToStore.observe(seconds) }));
    const wall = startWall({
      config,
      cameras: [...config.cameras, ...(config.simulate && config.simulator.eventStreams ? simulatedCameras() : [])],
      store,
      pipeline,
      counters,
      entities: () => live.all(),
      logger,
    });
    cleanups.push(() => wall.stop());
    const domains = new Set(Object.keys(config.domains));
    // Field kinds the store already fixed (InfluxDB's SHOW FIELD KEYS, the embedded catalogue), declared ones first.
    const fieldTypes = createFieldTypeRegistry({ declared: config.ingest.fieldTypes });
    const storeFieldKinds = () => store.fieldKeys({ from: 0, to: Date.now() + FIELD_KEYS_HORIZON_MS, rawOnly: true });
    fieldTypes.learn(await storeFieldKinds());
    // Nodes sharing one InfluxDB each guess a new field's kind from the first value they see; the store keeps
    // the first one written. Asking it again brings a node that guessed otherwise back in line.
    const fieldKindsRefresh = setInterval(() => {
      storeFieldKinds().then(
        (keys) => {
          const changed = fieldTypes.learn(keys, true);
          if (changed > 0) logger.info('field kinds taken from the store', { changed });
        },
        (err: Error) => logger.warn('field kinds could not be read from the store', { error: err.message }),
      );
    }, config.ingest.fieldTypesRefresh);
    fieldKindsRefresh.unref();
    cleanups.push(() => clearInterval(fieldKindsRefresh));
    const normalize = { domains, maxFutureMs: config.ingest.maxFuture, maxPastMs: config.ingest.maxPast, fieldTypes };

    const httpServer: HttpServer = createServer({
      headersTimeout: config.http.headersTimeout,
      requestTimeout: config.http.requestTimeout,
      keepAliveTimeout: config.http.keepAliveTimeout,
      // Node checks the two timeouts above only this often (30 s by default, which defeats a short headersTimeout).
      connectionsCheckingInterval: Math.min(config.http.headersTimeout, config.http.requestTimeout) / 4,
    });
    httpServer.maxConnections = config.http.maxConnections;
    // socket.io takes over the request listeners present when it attaches and calls them only for other paths.
    // The HTTP app is made further down, so this listener stands in for it: added after socket.io, the app would
    // answer every long-polling request a second time (a 404), and engine.io's own answer would then throw.
    const httpApp: { handle?: RequestListener } = {};
    httpServer.on('request', (req, res) => {
      if (httpApp.handle) httpApp.handle(req, res);
      else res.writeHead(503, { 'retry-after': '1' }).end();
    });
    const io: LiveIo = new Server(httpServer, { serveClient: false, cors: { origin: false } });
    if (config.redisUrl) cleanups.push(await installRedisFanout(io, config.redisUrl, logger.child({ module: 'redis' })));
    const liveServer = createLiveServer({
      io,
      live,
      deltaInterval: config.live.deltaInterval,
      maxEntitiesPerDelta: config.live.maxEntitiesPerDelta,
      staleCheckInterval: config.live.staleCheckInterval,
      logger: logger.child({ module: 'live' }),
      clustered: config.redisUrl !== undefined,
      clusterPollInterval: config.live.clusterPollInterval,
      observeDeltaAge: (seconds) => metricsRegistry.publishToDelta.observe(seconds),
    });
    cleanups.push(() => liveServer.stop());
    cleanups.push(
      startHeartbeat({ nsp: io.of(LIVE_NAMESPACE), received: () => wall.receiveClock.received(), deltaInterval: config.live.deltaInterval }),
    );

    const socketAuth = installSocketAuth({ io, nsp: io.of(LIVE_NAMESPACE), sessionMiddleware, auth, state, logger: logger.child({ module: 'live-auth' }) });
    cleanups.push(() => socketAuth.stop());

    const alerts = await startAlerts({ config, store, state, live, liveServer, pipeline, logger: logger.child({ module: 'alerts' }) });
    wall.useRules(() => alerts.service.listRules());
    cleanups.push(async () => {
      // Deliver what ingest already handed over before the alert service stops listening.
      pipeline.flushPending();
      await alerts.close();
    });

    let mqttIngest: MqttIngest | undefined = undefined;
    let boundPort = config.port;
    const field = await startField({
      config,
      state,
      alerts: alerts.service,
      audit,
      zoneOf: createZoneLookup(config),
      basemap,
      publicUrl: () => config.publicUrl ?? `http://localhost:${boundPort}`,
      logger: logger.child({ module: 'field' }),
      publish: (report) => liveServer.broadcastReport(report),
    });
    cleanups.push(() => field.stop());
    wall.kpis.useReports((from, to) => field.reports.stats(from, to));
    const guardedPaths = ['/api', '/metrics', '/basemap', '/wall'];
    const app = createHttpApp({
      ...(config.trustProxy !== undefined ? { trustProxy: config.trustProxy } : {}),
      guards: [
        securityHeaders(config),
        cors(config),
        originCheck(config, () => boundPort),
        ...guardedPaths.map((p) => express.Router().use(p, sessionMiddleware)),
        createAuthorizer({
          auth,
          matchRoute: createRouteMatcher(ROUTES),
          allowLoopbackIngest: config.ingest.allowLoopback,
          ingestTokens: config.ingest.tokens,
        }),
        createWallEntryRouter({ auth, audit }),
      ],
      rawApiRouters: [
        createIngestRouter({
          maxPayloadBytes: config.ingest.maxPayloadBytes,
          normalize,
          sink: pipeline,
          counters,
          logger,
        }),
      ],
      apiRouters: [
        createAuthRouter({ auth, audit, idleTimeout: config.auth.idleTimeout, ...(config.auth.oidc ? { oidc: { label: config.auth.oidc.label } } : {}) }),
        ...(config.auth.oidc
          ? [createOidcRouter({ oidc: config.auth.oidc, publicUrl: () => config.publicUrl ?? `http://localhost:${boundPort}`, state, audit, auth, logger: logger.child({ module: 'oidc' }) })]
          : []),
        createUsersRouter({ state, auth, audit, onPasswordChanged: (username) => username === 'admin' && forgetGeneratedAdminPassword(config.dataDir) }),
        createTokensRouter({ state, auth, audit }),
        createDeviceRouter({ service: devices, audit }),
        createAuditRouter({ audit }),
        createOpenApiRouter(ROUTES, { version: '1' }),
        createEntityRouter({ config, basemap, store, cameras: wall.cameras.cameras(), clientDir, liveEntities: (query) => liveServer.entities(query) }),
        createAlertsRouter(alerts.service, { audit }),
        createReplayRouter({ telemetry: store, state, config, logger: logger.child({ module: 'replay' }) }),
        createExportRouter({ telemetry: store, audit, logger: logger.child({ module: 'export' }) }),
        wall.router,
        ...field.routers,
      ],
      readiness: {
        store: () => store.ping(),
        state: () => state.ping(),
        broker: () => {
          if (broker) return;
          if (!mqttIngest?.connected()) throw new Error(`not connected to the MQTT broker at ${redactUrlPasswords(mqttUrl)}`);
        },
      },
      metricsRegistry,
      metrics: () =>
        collectMetrics({ counters, store, live, liveServer, alerts: alerts.service.stats(), broker: brokerAuth?.stats(), externalBroker: mqttIngest?.brokerCounters(), audit: audit.stats(), notify: field.notifyStats() }),
      clientDir,
      ...(basemapFile ? { basemapRouter: createBasemapRouter(basemapFile) } : {}),
      logger,
    });
    httpApp.handle = app;
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new Error(`Port ${config.port} is already in use: stop what runs there or set IOC_PORT to another port.`)
            : err,
        ),
      );
      httpServer.listen(config.port, config.host, () => resolve());
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          void io.close(() => resolve());
          httpServer.closeAllConnections();
        }),
    );
    const address = httpServer.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    boundPort = port;
    const signIn = await bootstrapAccounts({ config, state, publicUrl: config.publicUrl ?? `http://localhost:${port}`, logger });

    const mqttHandling = {
      topicRoot: config.mqtt.topicRoot,
      rejectedTopicRoot: config.mqtt.rejectedTopicRoot,
      maxPayloadBytes: config.ingest.maxPayloadBytes,
      normalize,
      sink: pipeline,
      counters,
      adapters: [wall.frigate],
      logger: logger.child({ module: 'mqtt' }),
    };
    if (brokerAuth) {
      // In-process broker: ingest runs inside it, so a device's PUBACK waits until its data is durable.
      const ingest = createBrokerIngest({ ...mqttHandling, publishRejected: (topic, report) => broker?.publish(topic, report) });
      const started = await startEmbeddedBroker(config.mqtt.port, config.host, logger.child({ module: 'broker' }), brokerAuth, {
        maxPacketSize: config.mqtt.maxPacketSize,
        reservedClientId: ingestClientId(config.mqtt, hostname()),
        ingest,
      });
      broker = started;
      cleanups.push(() => started.close());
      mqttUrl = started.url;
    } else {
      mqttIngest = await startMqttIngest({
        ...mqttHandling,
        url: mqttUrl,
        clientId: ingestClientId(config.mqtt, hostname()),
        username: config.mqtt.username,
        password: config.mqtt.password,
        sharedGroup: config.mqtt.sharedGroup,
      });
      cleanups.push(() => mqttIngest?.close());
    }

    if (config.simulate) {
      const feed: SimulatorFeed = await startSimulatorFeed({
        mqttUrl,
        httpUrl: `http://127.0.0.1:${port}/api/v1/ingest`,
        ingestToken: config.ingest.tokens[0],
        ...(broker ? { mqttUsername: internalMqtt.username, mqttPassword: internalMqtt.password } : {}),
        topicRoot: config.mqtt.topicRoot,
        ...config.simulator,
        camerasTopic: config.cameraEvents.topic,
        wards: config.map.zones.map((zone) => ({ name: zone.name.vi, geometry: zone.geometry })),
        logger: logger.child({ module: 'simulator' }),
      });
      cleanups.push(() => feed.stop());
    }

    logger.info('IOC console ready', { url: `http://localhost:${port}`, mqtt: mqttUrl, store: store.kind });
    return { port, mqttPort: broker?.port, mqttUrl, signIn, close };
  } catch (err) {
    await close();
    throw err;
  }
}
