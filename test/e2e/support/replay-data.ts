import type { Page } from 'playwright-core';

/** The parts of `window.__ioc` (client/app/test-hook.ts) the replay tests use. */
export interface ReplayHook {
  ready(): boolean;
  entity(key: string): { fields: Record<string, unknown>; lat: number | null; lon: number | null } | undefined;
  entityStatus(key: string): { alert: boolean; stale: boolean } | undefined;
  displayedPosition(key: string): [number, number] | undefined;
  project(lon: number, lat: number): [number, number];
  pickAt(x: number, y: number): string | null;
  replayAt(): number | null;
  replayLoading(): boolean;
  whenIdle(): Promise<void>;
}

/** What page callbacks reach through `globalThis` (test files are compiled without DOM types). */
export interface ReplayPageGlobals {
  __ioc: ReplayHook;
  location: { search: string };
}

/** A bus driving east along one street: a GPS fix every `everyMs` from `from` to `to` (ingest items). */
export function busTrack(
  id: string,
  from: number,
  to: number,
  everyMs: number,
): {
  domain: string;
  id: string;
  ts: number;
  lat: number;
  lon: number;
  tags: Record<string, string>;
  fields: Record<string, number>;
}[] {
  const fixes = [];
  for (let ts = from, i = 0; ts <= to; ts += everyMs, i++) {
    fixes.push({
      domain: 'traffic',
      id,
      ts,
      lat: 21.274,
      lon: 106.18 + i * 0.0004,
      tags: { kind: 'bus', name: 'Xe buýt xem lại' },
      fields: { speed: 24 },
    });
  }
  return fixes;
}

/** The `datetime-local` text of `ms` in Vietnam time (UTC+7, no daylight saving). */
export function cityInput(ms: number): string {
  return new Date(ms + 7 * 3_600_000).toISOString().slice(0, 16);
}

/** Waits until the replay playhead is at `at` (±1 s) and nothing is loading. */
export async function waitForPlayhead(page: Page, at: number): Promise<void> {
  await page.waitForFunction((expected) => {
    const hook = (globalThis as unknown as ReplayPageGlobals).__ioc;
    return Math.abs((hook.replayAt() ?? 0) - expected) < 1000 && !hook.replayLoading();
  }, at);
}
