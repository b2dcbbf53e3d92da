import type { Bilingual, Entity, KpiStatus } from '../../contract/index.js';

/*
 * The built-in indicators of the KPI board: what a Vietnamese IOC reports on its wall (air, traffic,
 * health, public-service queues) and the public-service dossier measures of Decision 766/QĐ-TTg
 * (on-time completion, online submission, satisfaction). Each is a pure function of the live
 * entities and the dossier tally, so the board and its tests agree on one definition.
 */

/** The dossier events of a window, tallied once (server/kpis/dossier-tally.ts). */
export interface DossierTally {
  received: number;
  receivedOnline: number;
  completed: number;
  completedOnTime: number;
  rated: number;
  satisfied: number;
  /** Open dossiers already past their due time. */
  overdueOpen: number;
}

/** Citizen reports of a window (the report service's stats). */
export interface ReportTally {
  resolved: number;
  resolvedOnTime: number;
  open: number;
  overdue: number;
  rated: number;
  ratingSum: number;
}

export interface KpiInputs {
  /** Live entities by domain. */
  byDomain: ReadonlyMap<string, readonly Entity[]>;
  dossiers: DossierTally;
  /** Absent until citizen reports are wired (their KPIs then show no data). */
  reports?: ReportTally;
  /** A zone's display name at a point, for "worst ward" details. */
  zoneName: (lat: number | null, lon: number | null) => string;
}

export interface KpiDefinition {
  id: string;
  group: 'air' | 'traffic' | 'health' | 'services' | 'dossiers' | 'reports';
  name: Bilingual;
  unit: string;
  better: 'higher' | 'lower';
  /** Built-in target; `kpis.targets.<id>` replaces it. */
  target?: number;
  compute(inputs: KpiInputs): { value: number | null; detail?: Bilingual };
}

const num = (entity: Entity, field: string): number | undefined => {
  const value = entity.fields[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
};
const share = (part: number, whole: number) => (whole === 0 ? null : Math.round((1000 * part) / whole) / 10);
const round1 = (value: number) => Math.round(value * 10) / 10;
const withField = (inputs: KpiInputs, domain: string, field: string) =>
  (inputs.byDomain.get(domain) ?? []).filter((e) => num(e, field) !== undefined);
/** Only entities still reporting count: a stale sensor's last value is not today's air. */
const current = (entities: readonly Entity[]) => entities.filter((e) => e.status !== 'stale');

/** AQI at or under this is "good or moderate" (VN_AQI and US EPA agree on 100). */
const AQI_ACCEPTABLE = 100;
/** A junction whose mean speed is at least this is flowing. */
const FLOWING_KMH = 15;

export const KPI_DEFINITIONS: readonly KpiDefinition[] = [
  {
    id: 'air.good_share',
    group: 'air',
    name: { vi: 'Trạm có AQI ≤ 100', en: 'Stations with AQI ≤ 100' },
    unit: '%',
    better: 'higher',
    target: 90,
    compute(inputs) {
      const stations = current(withField(inputs, 'sensor', 'aqi'));
      const value = share(stations.filter((e) => num(e, 'aqi')! <= AQI_ACCEPTABLE).length, stations.length);
      // The worst ward: the highest mean AQI among the zones with stations.
      const byZone = new Map<string, number[]>();
      for (const e of stations) {
        const zone = inputs.zoneName(e.lat, e.lon);
        byZone.set(zone, [...(byZone.get(zone) ?? []), num(e, 'aqi')!]);
      }
      let worst: { zone: string; mean: number } | undefined;
      for (const [zone, values] of byZone) {
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        if (!worst || mean > worst.mean) worst = { zone, mean };
      }
      return {
        value,
        ...(worst
          ? {
              detail: {
                vi: `Kém nhất: ${worst.zone} (AQI ${Math.round(worst.mean)})`,
                en: `Worst: ${worst.zone} (AQI ${Math.round(worst.mean)})`,
              },
            }
          : {}),
      };
    },
  },
  {
    id: 'traffic.flowing_share',
    group: 'traffic',
    name: { vi: 'Nút giao thông thông thoáng', en: 'Junctions flowing' },
    unit: '%',
    better: 'higher',
    target: 85,
    compute(inputs) {
      const junctions = current(withField(inputs, 'traffic', 'occupancy').filter((e) => num(e, 'speed') !== undefined));
      const jammed = junctions.filter((e) => num(e, 'speed')! < FLOWING_KMH);
      return {
        value: share(junctions.length - jammed.length, junctions.length),
        detail: { vi: `${jammed.length} nút ùn tắc`, en: `${jammed.length} jammed` },
      };
    },
  },
  {
    id: 'traffic.mean_speed',
    group: 'traffic',
    name: { vi: 'Tốc độ trung bình tại nút', en: 'Mean junction speed' },
    unit: 'km/h',
    better: 'higher',
    target: 25,
    compute(inputs) {
      const speeds = current(withField(inputs, 'traffic', 'occupancy'))
        .map((e) => num(e, 'speed'))
        .filter((v) => v !== undefined);
      return { value: speeds.length === 0 ? null : round1(speeds.reduce((a, b) => a + b, 0) / speeds.length) };
    },
  },
  {
    id: 'health.beds_free',
    group: 'health',
    name: { vi: 'Giường bệnh còn trống', en: 'Hospital beds free' },
    unit: '%',
    better: 'higher',
    target: 8,
    compute(inputs) {
      const hospitals = current(
        withField(inputs, 'health', 'bedsFree').filter((e) => num(e, 'bedsTotal') !== undefined),
      );
      const free = hospitals.reduce((sum, e) => sum + num(e, 'bedsFree')!, 0);
      const total = hospitals.reduce((sum, e) => sum + num(e, 'bedsTotal')!, 0);
      return { value: share(free, total), detail: { vi: `${free}/${total} giường`, en: `${free}/${total} beds` } };
    },
  },
  {
    id: 'health.ambulances_free',
    group: 'health',
    name: { vi: 'Xe cứu thương sẵn sàng', en: 'Ambulances available' },
    unit: '',
    better: 'higher',
    target: 2,
    compute(inputs) {
      const ambulances = current(
        (inputs.byDomain.get('health') ?? []).filter((e) => typeof e.fields.status === 'string'),
      );
      if (ambulances.length === 0) return { value: null };
      const free = ambulances.filter((e) => e.fields.status === 'idle').length;
      return { value: free, detail: { vi: `trên tổng ${ambulances.length} xe`, en: `of ${ambulances.length}` } };
    },
  },
  {
    id: 'services.mean_wait',
    group: 'services',
    name: { vi: 'Thời gian chờ trung bình', en: 'Mean queue wait' },
    unit: 'min',
    better: 'lower',
    target: 15,
    compute(inputs) {
      const open = current(withField(inputs, 'queue', 'avgWait')).filter((e) => e.fields.open !== false);
      if (open.length === 0)
        return { value: null, detail: { vi: 'Các điểm phục vụ đang đóng cửa', en: 'Service centres closed' } };
      const waits = open.map((e) => num(e, 'avgWait')!);
      return {
        value: round1(waits.reduce((a, b) => a + b, 0) / waits.length),
        detail: { vi: `Lâu nhất ${round1(Math.max(...waits))} phút`, en: `Longest ${round1(Math.max(...waits))} min` },
      };
    },
  },
  {
    id: 'services.centres_over_target',
    group: 'services',
    name: { vi: 'Điểm phục vụ chờ quá 30 phút', en: 'Centres over 30 min wait' },
    unit: '',
    better: 'lower',
    target: 0,
    compute(inputs) {
      const open = current(withField(inputs, 'queue', 'avgWait')).filter((e) => e.fields.open !== false);
      return { value: open.length === 0 ? null : open.filter((e) => num(e, 'avgWait')! > 30).length };
    },
  },
  {
    id: 'dossier.on_time_share',
    group: 'dossiers',
    name: { vi: 'Hồ sơ giải quyết đúng hạn', en: 'Dossiers completed on time' },
    unit: '%',
    better: 'higher',
    target: 95,
    compute({ dossiers }) {
      return {
        value: share(dossiers.completedOnTime, dossiers.completed),
        detail: {
          vi: `${dossiers.completed} hồ sơ đã giải quyết, ${dossiers.overdueOpen} đang quá hạn`,
          en: `${dossiers.completed} completed, ${dossiers.overdueOpen} open past due`,
        },
      };
    },
  },
  {
    id: 'dossier.online_share',
    group: 'dossiers',
    name: { vi: 'Hồ sơ nộp trực tuyến', en: 'Dossiers submitted online' },
    unit: '%',
    better: 'higher',
    target: 50,
    compute({ dossiers }) {
      return {
        value: share(dossiers.receivedOnline, dossiers.received),
        detail: { vi: `${dossiers.received} hồ sơ tiếp nhận`, en: `${dossiers.received} received` },
      };
    },
  },
  {
    id: 'dossier.satisfaction',
    group: 'dossiers',
    name: { vi: 'Mức độ hài lòng', en: 'Satisfaction' },
    unit: '%',
    better: 'higher',
    target: 90,
    compute({ dossiers }) {
      return {
        value: share(dossiers.satisfied, dossiers.rated),
        detail: { vi: `${dossiers.rated} lượt đánh giá`, en: `${dossiers.rated} ratings` },
      };
    },
  },
  {
    id: 'reports.on_time_share',
    group: 'reports',
    name: { vi: 'Phản ánh xử lý đúng hạn', en: 'Citizen reports handled on time' },
    unit: '%',
    better: 'higher',
    target: 90,
    compute({ reports }) {
      if (!reports) return { value: null };
      return {
        value: share(reports.resolvedOnTime, reports.resolved),
        detail: { vi: `${reports.resolved} phản ánh đã xử lý`, en: `${reports.resolved} handled` },
      };
    },
  },
  {
    id: 'reports.overdue_open',
    group: 'reports',
    name: { vi: 'Phản ánh quá hạn chưa xử lý', en: 'Overdue open citizen reports' },
    unit: '',
    better: 'lower',
    target: 0,
    compute({ reports }) {
      if (!reports) return { value: null };
      return { value: reports.overdue, detail: { vi: `${reports.open} phản ánh đang mở`, en: `${reports.open} open` } };
    },
  },
  {
    id: 'reports.rating',
    group: 'reports',
    name: { vi: 'Đánh giá của người dân', en: 'Citizens’ rating' },
    unit: '/5',
    better: 'higher',
    target: 4,
    compute({ reports }) {
      if (!reports || reports.rated === 0) return { value: null };
      return {
        value: round1(reports.ratingSum / reports.rated),
        detail: { vi: `${reports.rated} lượt đánh giá`, en: `${reports.rated} ratings` },
      };
    },
  },
];

/** ok at or past the target; warn within 10 % of it (or one unit for small counts); bad beyond. */
export function kpiStatus(value: number | null, target: number | undefined, better: 'higher' | 'lower'): KpiStatus {
  if (value === null) return 'warn';
  if (target === undefined) return 'ok';
  const margin = Math.max(Math.abs(target) * 0.1, 1);
  if (better === 'higher') return value >= target ? 'ok' : value >= target - margin ? 'warn' : 'bad';
  return value <= target ? 'ok' : value <= target + margin ? 'warn' : 'bad';
}
