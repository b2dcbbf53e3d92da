import { defaultDomains } from '../../contract/domain-defaults.js';
import type { ConsoleConfig, HistoryResponse } from '../../contract/api.js';
import { call } from './http.js';

/** What the console uses when the server's configuration cannot be loaded (Bắc Giang centre, built-in layers). */
export const FALLBACK_CONFIG: ConsoleConfig = {
  map: { center: [106.194, 21.273], zoom: 12.5, basemap: { kind: 'offline' }, zones: [] },
  domains: defaultDomains(),
};

function getJson<T>(path: string, timeoutMs: number): Promise<T> {
  return call<T>('GET', path, { timeoutMs });
}

/** Loads the map configuration; falls back to the built-in one (and says so) when the server cannot answer. */
export async function loadConsoleConfig(): Promise<{ config: ConsoleConfig; fallback: boolean }> {
  try {
    return { config: await getJson<ConsoleConfig>('/console-config', 8_000), fallback: false };
  } catch {
    return { config: FALLBACK_CONFIG, fallback: true };
  }
}

/** One entity's history over [from, to], bucketed by `everyMs`. */
export function fetchHistory(
  domain: string,
  id: string,
  range: { from: number; to: number; everyMs: number; fields?: string[] },
): Promise<HistoryResponse> {
  const params = new URLSearchParams({
    from: String(Math.floor(range.from)),
    to: String(Math.ceil(range.to)),
    every: `${Math.round(range.everyMs / 1000)}s`,
  });
  if (range.fields && range.fields.length > 0) params.set('fields', range.fields.join(','));
  const path = `/entities/${encodeURIComponent(domain)}/${encodeURIComponent(id)}/history?${params.toString()}`;
  return getJson<HistoryResponse>(path, 15_000);
}
