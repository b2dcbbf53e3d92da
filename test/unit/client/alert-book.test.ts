import { describe, expect, it } from 'vitest';
import type { Alert, AlertSummary } from '../../../contract/alert.js';
import {
  AlertBook,
  compareAlerts,
  expireSummaries,
  isNewCritical,
  mergeSummaries,
  sortedSummaries,
  stormRules,
} from '../../../client/features/alerts/alert-book.js';
import { zoneAt, zoneName } from '../../../client/features/alerts/zones.js';
import type { ZoneInfo } from '../../../contract/api.js';

const T0 = 1_800_000_000_000;

function alert(id: string, extra: Partial<Alert> = {}): Alert {
  return {
    id,
    ruleId: 'r1',
    domain: 'sensor',
    entityId: `e-${id}`,
    severity: 'warning',
    state: 'firing',
    startedAt: T0,
    updatedAt: T0,
    value: 1,
    message: 'm',
    history: [{ at: T0, by: 'system', action: 'fire' }],
    ...extra,
  };
}

function summary(
  ruleId: string,
  zone: string,
  count: number,
  ts = T0,
  extra: Partial<AlertSummary> = {},
): AlertSummary {
  return { ruleId, zone, count, severity: 'warning', ts, ...extra };
}

describe('queue order', () => {
  it('puts critical first, then the oldest, then by id', () => {
    const list = [
      alert('a', { severity: 'info', startedAt: T0 - 9_000 }),
      alert('b', { severity: 'critical', startedAt: T0 }),
      alert('c', { severity: 'critical', startedAt: T0 - 5_000 }),
      alert('e', { severity: 'warning', startedAt: T0 }),
      alert('d', { severity: 'warning', startedAt: T0 }),
    ];
    expect(list.sort(compareAlerts).map((a) => a.id)).toEqual(['c', 'b', 'd', 'e', 'a']);
  });

  it('keeps the book sorted as alerts arrive and change severity', () => {
    const book = new AlertBook();
    book.apply(alert('old', { startedAt: T0 - 60_000 }));
    book.apply(alert('new'));
    expect(book.sorted().map((a) => a.id)).toEqual(['old', 'new']);
    book.apply(alert('new', { severity: 'critical', updatedAt: T0 + 1 }));
    expect(book.sorted().map((a) => a.id)).toEqual(['new', 'old']);
    expect(book.countBySeverity()).toEqual({ critical: 1, warning: 1, info: 0 });
  });
});

describe('merging events', () => {
  it('never lets an older version replace a newer one', () => {
    const book = new AlertBook();
    book.apply(alert('x', { state: 'acknowledged', updatedAt: T0 + 10 }));
    expect(book.apply(alert('x', { state: 'firing', updatedAt: T0 })).applied).toBe(false);
    expect(book.get('x')?.state).toBe('acknowledged');
  });

  it('ignores the broadcast of a version already applied from an action answer', () => {
    const book = new AlertBook();
    const acked = alert('x', { state: 'acknowledged', updatedAt: T0 + 5 });
    expect(book.apply(acked).applied).toBe(true);
    const version = book.version;
    expect(book.apply({ ...acked }).applied).toBe(false);
    expect(book.version).toBe(version);
  });

  it('moves resolved alerts out of the queue into the recently resolved list', () => {
    const book = new AlertBook();
    book.apply(alert('x'));
    book.apply(alert('x', { state: 'resolved', updatedAt: T0 + 1 }));
    expect(book.sorted()).toEqual([]);
    expect(book.size).toBe(0);
    expect(book.recentlyResolved().map((a) => a.id)).toEqual(['x']);
    // A late firing version of the same alert does not bring it back.
    expect(book.apply(alert('x')).applied).toBe(false);
  });

  it('keeps at most 50 recently resolved, newest first', () => {
    const book = new AlertBook();
    for (let i = 0; i < 60; i++) book.apply(alert(`r${i}`, { state: 'resolved', updatedAt: T0 + i }));
    expect(book.recentlyResolved()).toHaveLength(50);
    expect(book.recentlyResolved()[0]?.id).toBe('r59');
  });

  it('on reload drops alerts the server no longer lists unless they changed after the request', () => {
    const book = new AlertBook();
    book.apply(alert('gone'));
    book.apply(alert('fresh', { updatedAt: T0 + 100 }));
    book.apply(alert('kept', { state: 'acknowledged', updatedAt: T0 + 50 }));
    book.replaceOpen([alert('kept'), alert('loaded')], T0 + 10);
    expect(
      book
        .sorted()
        .map((a) => a.id)
        .sort(),
    ).toEqual(['fresh', 'kept', 'loaded']);
    // The newer local version of "kept" wins over the older REST copy.
    expect(book.get('kept')?.state).toBe('acknowledged');
  });

  it('announces new critical alerts and escalations to critical, not updates or acks', () => {
    const firing = alert('c', { severity: 'critical' });
    expect(isNewCritical(undefined, firing)).toBe(true);
    expect(isNewCritical(firing, { ...firing, assignee: 'team A', updatedAt: T0 + 1 })).toBe(false);
    expect(isNewCritical(firing, { ...firing, state: 'acknowledged' })).toBe(false);
    expect(isNewCritical(alert('w'), { ...alert('w'), severity: 'critical', updatedAt: T0 + 1 })).toBe(true);
    expect(isNewCritical(undefined, alert('w'))).toBe(false);
    expect(isNewCritical({ ...firing, state: 'snoozed' }, firing)).toBe(true);
  });
});

describe('storm summaries', () => {
  it('groups by rule and zone, replaces with newer counts and drops zones at 0', () => {
    let storms = mergeSummaries(new Map(), [summary('r1', 'centre', 30), summary('r1', 'north', 5)]);
    expect(storms.size).toBe(2);
    storms = mergeSummaries(storms, [summary('r1', 'centre', 42, T0 + 1000), summary('r1', 'north', 0, T0 + 1000)]);
    expect([...storms.values()].map((s) => [s.zone, s.count])).toEqual([['centre', 42]]);
    // An older batch arriving late changes nothing.
    storms = mergeSummaries(storms, [summary('r1', 'centre', 3, T0)]);
    expect(storms.get(`r1\u0000centre`)?.count).toBe(42);
  });

  it('leaves the previous map untouched and sorts cards by severity then count', () => {
    const before = mergeSummaries(new Map(), [summary('a', 'z', 5)]);
    const after = mergeSummaries(before, [summary('b', 'z', 50), summary('c', 'z', 2, T0, { severity: 'critical' })]);
    expect(before.size).toBe(1);
    expect(sortedSummaries(after).map((s) => s.ruleId)).toEqual(['c', 'b', 'a']);
  });

  it('folds the alerts of storming rules unless the operator opened them', () => {
    const storms = mergeSummaries(new Map(), [summary('a', 'z1', 5), summary('a', 'z2', 5), summary('b', 'z', 5)]);
    expect([...stormRules(storms, new Set())].sort()).toEqual(['a', 'b']);
    expect([...stormRules(storms, new Set(['a']))]).toEqual(['b']);
  });

  it('expires cards whose closing summary never came', () => {
    const storms = mergeSummaries(new Map(), [summary('a', 'z', 5, T0), summary('b', 'z', 5, T0 + 60_000)]);
    expect([...expireSummaries(storms, T0 + 130_000, 120_000).values()].map((s) => s.ruleId)).toEqual(['b']);
  });
});

describe('zones', () => {
  const square = (x0: number, y0: number, x1: number, y1: number) => [
    [
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
      [x0, y0],
    ],
  ];
  const zones: ZoneInfo[] = [
    {
      id: 'centre',
      name: { vi: 'Trung tâm', en: 'Centre' },
      geometry: { type: 'Polygon', coordinates: square(0, 0, 10, 10) },
    },
    {
      id: 'islands',
      name: { vi: 'Đảo', en: 'Islands' },
      geometry: { type: 'MultiPolygon', coordinates: [square(20, 0, 21, 1), square(30, 0, 31, 1)] },
    },
  ];

  it('finds the zone of a position, polygon or multipolygon, and nothing outside', () => {
    expect(zoneAt(zones, 5, 5)?.id).toBe('centre');
    expect(zoneAt(zones, 0.5, 30.5)?.id).toBe('islands');
    expect(zoneAt(zones, 50, 50)).toBeUndefined();
    expect(zoneAt(zones, null, 5)).toBeUndefined();
  });

  it('names zones in the language, and the city outside them', () => {
    expect(zoneName(zones, 'centre', 'vi', 'city')).toBe('Trung tâm');
    expect(zoneName(zones, 'centre', 'en', 'city')).toBe('Centre');
    expect(zoneName(zones, 'city', 'en', 'outside')).toBe('outside');
    expect(zoneName(zones, 'unknown', 'en', 'outside')).toBe('unknown');
  });
});
