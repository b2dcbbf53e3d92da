import { describe, expect, it } from 'vitest';
import { createKpiService } from '../../server/kpis/kpi-service.js';
import type { ReportTally } from '../../server/kpis/kpi-definitions.js';

const NOW = Date.UTC(2026, 5, 1, 3, 0, 0);
const DAY = 86_400_000;

function board(stats?: (from: number, to: number) => Promise<ReportTally>) {
  const service = createKpiService({
    store: { scan: async function* () {} },
    entities: () => [],
    zoneName: () => 'city',
    dossierWindow: 30 * DAY,
    trendStep: 600_000,
    trendSteps: 6,
    targets: { 'reports.on_time_share': 95 },
    logger: { warn: () => undefined },
    clock: () => NOW,
  });
  if (stats) service.useReports(stats);
  return service;
}

describe('citizen-report KPIs', () => {
  it('shows on-time share, overdue open reports and the average rating over the window', async () => {
    const windows: [number, number][] = [];
    const service = board((from, to) => {
      windows.push([from, to]);
      return Promise.resolve({ resolved: 40, resolvedOnTime: 37, open: 12, overdue: 3, rated: 20, ratingSum: 83 });
    });
    const kpis = new Map((await service.current()).kpis.map((kpi) => [kpi.id, kpi]));
    expect(kpis.get('reports.on_time_share')).toMatchObject({
      group: 'reports',
      value: 92.5,
      target: 95,
      better: 'higher',
      status: 'warn',
    });
    expect(kpis.get('reports.overdue_open')).toMatchObject({ value: 3, target: 0, better: 'lower', status: 'bad' });
    expect(kpis.get('reports.rating')).toMatchObject({ value: 4.2, target: 4, status: 'ok' });
    expect(windows[0]).toEqual([NOW - 30 * DAY, NOW]);
    // The tally is reused for a while: one state-store scan serves many walls.
    await service.current();
    expect(windows).toHaveLength(1);
  });

  it('shows no data (not zero) before reports are wired, when nobody rated, or when the tally fails', async () => {
    const none = new Map((await board().current()).kpis.map((kpi) => [kpi.id, kpi.value]));
    expect([none.get('reports.on_time_share'), none.get('reports.overdue_open'), none.get('reports.rating')]).toEqual([
      null,
      null,
      null,
    ]);
    const unrated = new Map(
      (
        await board(() =>
          Promise.resolve({ resolved: 0, resolvedOnTime: 0, open: 2, overdue: 0, rated: 0, ratingSum: 0 }),
        ).current()
      ).kpis.map((kpi) => [kpi.id, kpi.value]),
    );
    expect([
      unrated.get('reports.on_time_share'),
      unrated.get('reports.overdue_open'),
      unrated.get('reports.rating'),
    ]).toEqual([null, 0, null]);
    const failing = new Map(
      (await board(() => Promise.reject(new Error('state store down'))).current()).kpis.map((kpi) => [
        kpi.id,
        kpi.value,
      ]),
    );
    expect(failing.get('reports.overdue_open')).toBeNull();
  });
});
