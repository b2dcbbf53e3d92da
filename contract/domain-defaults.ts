import type { BUILT_IN_DOMAINS } from './observation.js';

/**
 * How long an entity may stay silent before it shows as stale, when its domain's config says nothing.
 * The config schema's defaults and the console's offline fallback both read these; nothing else
 * should spell the numbers out.
 */
export const DEFAULT_STALE_AFTER_MS = 120_000;

/**
 * Each default domain's silence limit (ms): traffic changes fastest, hospitals and counters slowest;
 * a camera reports only when it sees something, and a dossier is an event stream, never "live".
 */
export const BUILT_IN_STALE_AFTER_MS: Record<(typeof BUILT_IN_DOMAINS)[number] | 'camera' | 'dossier', number> = {
  sensor: 120_000,
  traffic: 60_000,
  health: 300_000,
  queue: 300_000,
  camera: 3_600_000,
  dossier: 30 * 86_400_000,
};

/** Default domains that are not map layers: public-service dossiers have no place on the map. */
export const NON_MAP_DOMAINS: ReadonlySet<string> = new Set(['dossier']);

/** Each domain's silence limit in ms, from a config's domains; a domain it does not name gets the default. */
export function staleAfterIn(domains: Readonly<Record<string, { staleAfter: number }>>): (domain: string) => number {
  return (domain) => domains[domain]?.staleAfter ?? DEFAULT_STALE_AFTER_MS;
}

/** The default domains as the console config lists them (the console's offline fallback). */
export function defaultDomains(): Record<string, { staleAfter: number; layer: boolean }> {
  return Object.fromEntries(Object.entries(BUILT_IN_STALE_AFTER_MS).map(([domain, staleAfter]) => [domain, { staleAfter, layer: !NON_MAP_DOMAINS.has(domain) }]));
}
