import type { ReplayAlertEvent } from '../../../contract/replay.js';
import type { Severity } from '../../../contract/rule.js';

/** One bar of the alert-density track: how many alerts fired in it, and the worst severity among them. */
export interface DensityBucket {
  from: number;
  count: number;
  worst: Severity | null;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Counts `fire` and `escalate` events into `buckets` equal slices of [from, to); events outside are ignored. */
export function densityBuckets(
  events: readonly Pick<ReplayAlertEvent, 'at' | 'action' | 'severity'>[],
  from: number,
  to: number,
  buckets: number,
): DensityBucket[] {
  const n = Math.max(1, Math.floor(buckets));
  const width = (to - from) / n;
  const out: DensityBucket[] = Array.from({ length: n }, (_, i) => ({ from: from + i * width, count: 0, worst: null }));
  if (!(width > 0)) return out;
  for (const event of events) {
    if (event.action !== 'fire' && event.action !== 'escalate') continue;
    if (event.at < from || event.at >= to) continue;
    const bucket = out[Math.min(n - 1, Math.floor((event.at - from) / width))];
    if (!bucket) continue;
    bucket.count++;
    if (bucket.worst === null || RANK[event.severity] > RANK[bucket.worst]) bucket.worst = event.severity;
  }
  return out;
}

/** The tallest bar's count (at least 1, so heights divide safely). */
export function densityMax(buckets: readonly DensityBucket[]): number {
  let max = 1;
  for (const bucket of buckets) if (bucket.count > max) max = bucket.count;
  return max;
}
