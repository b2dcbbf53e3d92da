import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Express, type RequestHandler, type Router } from 'express';
import type { HealthResponse } from '../../contract/index.js';
import { redactUrlPasswords, type Logger } from '../../config/logger.js';
import { BASEMAP_ROUTE } from './basemap.js';
import { limitJsonDepth, refuseDeepJsonText } from './json-depth.js';
import { errorHandler, notFound } from './errors.js';
import type { MetricsRegistry, Sample } from './metrics.js';

export interface HttpAppOptions {
  /** express's `trust proxy`: which proxies' X-Forwarded-For to believe for the caller's address. */
  trustProxy?: number | string;
  /** Run before every route, in order: security headers, CORS, origin check, sessions, the authorizer. */
  guards: RequestHandler[];
  /** Routers that read the raw body themselves (ingest); mounted before the JSON parser. */
  rawApiRouters: Router[];
  /** Routers mounted under /api/v1, in order. */
  apiRouters: Router[];
  /** Readiness checks: each resolves to ok or throws with the reason. */
  readiness: Record<string, () => Promise<void> | void>;
  metrics: () => Sample[];
  /** Renders `/metrics` (prom-client). */
  metricsRegistry: MetricsRegistry;
  /** Built console (vite output); a plain page explains how to build it when missing. */
  clientDir: string;
  /** Serves a local PMTiles basemap under BASEMAP_ROUTE when one is configured. */
  basemapRouter?: Router;
  logger: Logger;
}

/** The express app: API, health, metrics, the console's static files and the one error handler. */
export function createHttpApp(options: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // "2" from an environment variable is a hop count, not an address.
  const trust = typeof options.trustProxy === 'string' && /^\d+$/.test(options.trustProxy) ? Number(options.trustProxy) : options.trustProxy;
  if (trust !== undefined) app.set('trust proxy', trust);
  app.use(...options.guards);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks: HealthResponse['checks'] = {};
    await Promise.all(
      Object.entries(options.readiness).map(async ([name, check]) => {
        try {
          await check();
          checks[name] = { ok: true };
        } catch (err) {
          // A check's message may name a URL: its password never reaches the answer.
          checks[name] = { ok: false, detail: redactUrlPasswords((err as Error).message) };
        }
      }),
    );
    const ok = Object.values(checks).every((c) => c.ok);
    const body: HealthResponse = { status: ok ? 'ok' : 'unavailable', checks };
    res.status(ok ? 200 : 503).json(body);
  });
  app.get('/metrics', async (_req, res) => {
    const text = await options.metricsRegistry.render(options.metrics());
    res.type(options.metricsRegistry.contentType).send(text);
  });

  app.use('/api/v1', ...options.rawApiRouters);
  app.use('/api/v1', express.json({ limit: '1mb', type: ['application/json'], verify: refuseDeepJsonText }), limitJsonDepth, ...options.apiRouters);
  app.use('/api', (req, _res, next) => {
    next(notFound(`No API route ${req.method} ${req.originalUrl}.`));
  });

  if (options.basemapRouter) app.use(BASEMAP_ROUTE, options.basemapRouter);

  const index = path.join(options.clientDir, 'index.html');
  if (existsSync(index)) {
    app.use(express.static(options.clientDir, { index: 'index.html', maxAge: '1h' }));
    // The field app and the public citizen report pages are their own builds (a phone never loads the console).
    for (const [route, file] of [
      [/^\/field(?:\/.*)?$/, 'field.html'],
      [/^\/report(?:\/.*)?$/, 'report.html'],
    ] as const) {
      const page = path.join(options.clientDir, file);
      if (existsSync(page)) app.get(route, (_req, res) => res.sendFile(page));
    }
    app.get(/^\/(?!api\/|socket\.io\/).*/, (_req, res) => res.sendFile(index));
  } else {
    app.get('/', (_req, res) => {
      res
        .type('html')
        .send(
          '<!doctype html><meta charset="utf-8"><title>IOC</title><body style="font:20px system-ui;background:#0b1220;color:#e6edf3;padding:2em">' +
            '<h1>Console not built</h1><p>Run <code>npm run build</code> (or <code>npm start</code>, which builds first).</p>' +
            '<p>Chưa build giao diện: chạy <code>npm run build</code>.</p></body>',
        );
    });
  }

  app.use(errorHandler(options.logger));
  return app;
}
