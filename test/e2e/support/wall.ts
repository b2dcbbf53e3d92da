import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';

/** What page callbacks use from the wall's test hook (client/wall/wall-test-hook.ts); no DOM types here. */
export interface WallGlobals {
  __wall?: {
    scene(): string;
    sceneIndex(): number;
    health(): { stale: boolean; lost: boolean; since: number };
    live(): string;
    build(): string | null;
    entityCount(): number;
    ready(): boolean;
    whenIdle(): Promise<void>;
    pause(): void;
    resume(): void;
  };
  /** Set by a test before an event; gone after a reload. */
  __wallMark?: string;
}

/** One rendered text element: its text (cut short), font size in px and tag. */
export interface TextSample {
  text: string;
  size: number;
  tag: string;
}

// Runs in the page: every element with its own visible text inside the wall, with its computed font size.
const MEASURE_TEXT = `(() => {
  const root = document.querySelector('[data-testid=wall]');
  if (!root) return [];
  const out = [];
  for (const el of root.querySelectorAll('*')) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent.trim()).join(' ').trim();
    if (own === '') continue;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || style.display === 'none') continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    if (rect.bottom <= 0 || rect.right <= 0 || rect.top >= innerHeight || rect.left >= innerWidth) continue;
    out.push({ text: own.slice(0, 60), size: parseFloat(style.fontSize), tag: el.tagName.toLowerCase() });
  }
  return out;
})()`;

/** Every visible text element of the wall with its computed font size. */
export async function measureText(page: Page): Promise<TextSample[]> {
  return page.evaluate<TextSample[]>(MEASURE_TEXT);
}

/** A copy of the built console the product can serve, so a test can serve a changed build later. */
export function copyClient(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  return to;
}

/** Makes the served console a different build (its index.html changes; the bundle stays). */
export function markBuild(clientDir: string, label: string): void {
  const index = path.join(clientDir, 'index.html');
  writeFileSync(index, `${readFileSync(index, 'utf8')}\n<!-- ${label} -->\n`);
}

/**
 * Posts one observation per entity every `intervalMs` over HTTP ingest (loopback needs no token), so
 * live deltas keep flowing as in a busy city; failures while the product is down are ignored.
 */
export function startFeeder(
  baseUrl: string,
  entities: { id: string; lat: number; lon: number; name: string }[],
  intervalMs = 1_000,
): { stop(): void } {
  let n = 0;
  const timer = setInterval(() => {
    n++;
    const body = entities.map((e, i) => ({
      domain: 'sensor',
      id: e.id,
      lat: e.lat,
      lon: e.lon,
      fields: { pm25: 20 + ((n + i * 7) % 30), aqi: 40 + ((n + i * 11) % 50) },
      tags: { name: e.name },
    }));
    fetch(`${baseUrl}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(
      (res) => void res.body?.cancel(),
      () => undefined,
    );
  }, intervalMs);
  return { stop: () => clearInterval(timer) };
}
