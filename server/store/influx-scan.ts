import type { Observation } from '../../contract/index.js';
import { ident, msTime, queryChunked, type InfluxHttp } from './influx-http.js';
import { boundaryOf, seriesToObservations, sourceOf, tagKeysByMeasurement, type Tier } from './influx-columns.js';
import { listDomains } from './influx-read.js';
import type { InfluxTiers } from './influx-retention.js';
import type { ScanOptions } from './types.js';

/** One domain's observations in [from, to], oldest first: one chunked query read as it streams in. */
async function* domainPages(
  http: InfluxHttp,
  domain: string,
  from: number,
  to: number,
  pageSize: number,
  tier: Tier,
  tiers: InfluxTiers | undefined,
): AsyncGenerator<Observation[]> {
  const [tagResult] = await http.query(`SHOW TAG KEYS FROM ${ident(domain)}`);
  const tagKeys = tagKeysByMeasurement(tagResult).get(domain) ?? new Set<string>();
  const rows = queryChunked(
    http,
    `SELECT * FROM ${sourceOf(domain, tier, tiers)} WHERE time >= ${msTime(from)} AND time <= ${msTime(to)}`,
    pageSize,
  );
  for await (const series of rows) {
    if (series.values.length === 0) continue;
    yield seriesToObservations(domain, series.columns, series.values, tagKeys, tier);
  }
}

interface Reader {
  pages: AsyncGenerator<Observation[]>;
  page: Observation[];
  pos: number;
}

async function advance(reader: Reader): Promise<boolean> {
  if (reader.pos < reader.page.length) return true;
  const next = await reader.pages.next();
  if (next.done) return false;
  reader.page = next.value;
  reader.pos = 0;
  return reader.page.length > 0;
}

/**
 * Every observation in [from, to] across domains, oldest first. With retention, the window's part
 * older than the raw retention is read from the minutes first, then the rest from raw rows.
 */
export async function* scanInflux(
  http: InfluxHttp,
  options: ScanOptions,
  tiers?: InfluxTiers,
): AsyncGenerator<Observation[]> {
  const domains = await listDomains(http, options.domains);
  const boundary = boundaryOf(tiers);
  let from = options.from;
  if (boundary !== undefined && from < boundary) {
    const split = Math.min(options.to + 1, boundary);
    yield* scanTier(http, domains, options, from, split - 1, 'down', tiers);
    from = split;
  }
  if (from <= options.to) yield* scanTier(http, domains, options, from, options.to, 'raw', tiers);
}

/** One tier's observations in [from, to] across domains, oldest first: a k-way merge of per-domain pages. */
async function* scanTier(
  http: InfluxHttp,
  domains: string[],
  options: ScanOptions,
  from: number,
  to: number,
  tier: Tier,
  tiers: InfluxTiers | undefined,
): AsyncGenerator<Observation[]> {
  const chunkSize = Math.max(1, options.chunkSize ?? 5000);
  const readers: Reader[] = domains.map((domain) => ({
    pages: domainPages(http, domain, from, to, chunkSize, tier, tiers),
    page: [],
    pos: 0,
  }));
  try {
    let live = (await Promise.all(readers.map(async (r) => ((await advance(r)) ? r : undefined)))).filter(
      (r): r is Reader => r !== undefined,
    );
    let chunk: Observation[] = [];
    while (live.length > 0) {
      let best = live[0]!;
      for (const reader of live) {
        if (reader.page[reader.pos]!.ts < best.page[best.pos]!.ts) best = reader;
      }
      chunk.push(best.page[best.pos]!);
      best.pos += 1;
      if (best.pos >= best.page.length && !(await advance(best))) live = live.filter((r) => r !== best);
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  } finally {
    await Promise.all(readers.map((r) => r.pages.return(undefined)));
  }
}
