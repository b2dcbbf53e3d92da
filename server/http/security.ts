import type { RequestHandler } from 'express';
import helmet from 'helmet';
import type { Config } from '../../config/schema.js';
import { HttpError } from './errors.js';

/** Origins (scheme://host[:port]) of the configured basemap, which the console must be allowed to fetch. */
function basemapOrigins(config: Config): string[] {
  const origins = new Set<string>();
  for (const url of [config.map.styleUrl, config.map.pmtilesUrl, config.map.tileUrl]) {
    if (url === undefined) continue;
    try {
      const parsed = new URL(url.replace(/\{[xyz]\}/g, '0').replace(/^pmtiles:\/\//, ''));
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') origins.add(parsed.origin);
    } catch {
      // A relative path is served by the product itself.
    }
  }
  return [...origins];
}

/**
 * Security headers for every answer, through helmet: a Content-Security-Policy that allows no
 * inline or foreign scripts (styles may be inline: React sets style attributes), nosniff,
 * frame-ancestors 'none', Referrer-Policy, and HSTS when the public URL is https.
 */
export function securityHeaders(config: Config): RequestHandler {
  const basemap = basemapOrigins(config);
  // Camera snapshots come from the cameras' own server (Frigate): the console and wall show them as images.
  const cameras = [...new Set(config.cameras.flatMap((camera) => [camera.snapshotUrl, camera.clipUrl]).flatMap((url) => originOf(url)))];
  const https = config.publicUrl?.startsWith('https:') ?? false;
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // maplibre's worker is a bundled file; deck.gl compiles shaders, not scripts.
        workerSrc: ["'self'", 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:', ...basemap, ...cameras],
        mediaSrc: ["'self'", ...cameras],
        connectSrc: ["'self'", 'ws:', 'wss:', ...basemap],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for cookie sessions: a state-changing request that carries a browser Origin (or,
 * lacking it, a Referer) must come from the console's own origin or an allowed one. Requests
 * without either (curl, devices, Prometheus) carry no ambient browser credentials worth forging.
 */
export function originCheck(config: Config, port: () => number): RequestHandler {
  const allowed = new Set(config.auth.allowedOrigins.map((o) => new URL(o).origin));
  if (config.publicUrl) allowed.add(new URL(config.publicUrl).origin);
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = req.get('origin') ?? originOfReferer(req.get('referer'));
    if (origin === undefined) return next();
    // The console's own origin: the Host it was loaded from (any name this server answers to).
    const host = req.get('host');
    if (host !== undefined && (origin === `http://${host}` || origin === `https://${host}`)) return next();
    if (allowed.has(origin) || (config.publicUrl === undefined && origin === `http://localhost:${port()}`)) return next();
    next(new HttpError(403, 'forbidden', `Cross-site request refused: origin ${origin} is not allowed (add it to auth.allowedOrigins).`));
  };
}

function originOfReferer(referer: string | undefined): string | undefined {
  if (referer === undefined) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return 'null';
  }
}

/** CORS: off unless auth.allowedOrigins lists origins; then those get credentialed access. */
export function cors(config: Config): RequestHandler {
  const allowed = new Set(config.auth.allowedOrigins.map((o) => new URL(o).origin));
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin === undefined || !allowed.has(origin)) return next();
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Allow-Credentials', 'true');
    res.vary('Origin');
    if (req.method === 'OPTIONS') {
      res.set('Access-Control-Allow-Methods', 'GET,POST,PUT,PATCH,DELETE');
      res.set('Access-Control-Allow-Headers', 'content-type,authorization');
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/** The origin of a URL template (`{id}` inside is fine), none when it is not an absolute http(s) URL. */
function originOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const parsed = new URL(url.replaceAll('{id}', 'x'));
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? [parsed.origin] : [];
  } catch {
    return [];
  }
}
