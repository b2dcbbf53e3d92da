import { activity, localHour, officeOpen } from './entity.js';
import { CENTRE, offset, type LatLon } from './geo.js';
import { createRandom, streamSeed, type Random } from './random.js';

/*
 * The demo city's event streams, beside its sensors: public-service dossiers (received, then
 * completed on time or late, some rated) as Decision 766 counts them, and AI cameras publishing
 * Frigate's own `frigate/events` messages. Both are deterministic by seed and minute, so a restart
 * regenerates the same past.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A camera of the demo city, as the product's `cameras:` config would list it. */
export interface SimulatedCamera extends LatLon {
  id: string;
  name: string;
}

export const SIMULATED_CAMERAS: readonly SimulatedCamera[] = [
  { id: 'cam-quang-truong', name: 'Quảng trường 3/2', ...offset(CENTRE, 150, -120) },
  { id: 'cam-cau-song-thuong', name: 'Cầu sông Thương', ...offset(CENTRE, -900, 700) },
  { id: 'cam-cho-thanh-pho', name: 'Chợ thành phố', ...offset(CENTRE, 450, 380) },
  { id: 'cam-ben-xe', name: 'Bến xe Bắc Giang', ...offset(CENTRE, 1300, -600) },
];

/** Procedures with their legal handling time, from same-day certifications to month-long land files. */
const PROCEDURES = [
  { code: 'chung-thuc-ban-sao', dueHours: 2, share: 0.35, agency: 'ward' },
  { code: 'dang-ky-khai-sinh', dueHours: 8, share: 0.2, agency: 'ward' },
  { code: 'dang-ky-ho-kinh-doanh', dueHours: 72, share: 0.15, agency: 'So KH&DT' },
  { code: 'ly-lich-tu-phap', dueHours: 240, share: 0.1, agency: 'So Tu phap' },
  { code: 'giay-phep-xay-dung', dueHours: 360, share: 0.1, agency: 'So Xay dung' },
  { code: 'dat-dai', dueHours: 720, share: 0.1, agency: 'So TN&MT' },
] as const;

/** Dossiers received per office minute, city-wide. */
const DOSSIERS_PER_MINUTE = 1;
/** Share completed after their due time: the province's real figure is a few to ten per cent. */
const LATE_SHARE = 0.1;
const ONLINE_SHARE = 0.55;
const RATED_SHARE = 0.6;

export interface TimedMessage {
  ts: number;
  topic: string;
  payload: string;
}

export interface EventStreams {
  /** Messages due in (from, to], in time order; `dossiersOnly` leaves the cameras out (a backfill of past days). */
  between(from: number, to: number, dossiersOnly?: boolean): TimedMessage[];
}

function poisson(mean: number, r: Random): number {
  // Knuth's method: means here are small (a few per minute).
  const limit = Math.exp(-mean);
  let k = 0;
  let p = r.next();
  while (p > limit) {
    k += 1;
    p *= r.next();
  }
  return k;
}

function pick<T extends { share: number }>(items: readonly T[], u: number): T {
  let acc = 0;
  for (const item of items) {
    acc += item.share;
    if (u < acc) return item;
  }
  return items[items.length - 1]!;
}

/** The dossier and camera messages of one minute: deterministic by seed and minute. */
function minuteMessages(
  seed: number,
  minute: number,
  root: string,
  camerasTopic: string,
  wardNames: readonly string[],
  dossiersOnly: boolean,
): TimedMessage[] {
  const r = createRandom(streamSeed(seed, 1_000_000 + minute));
  const start = minute * MINUTE;
  const hour = localHour(start);
  const out: TimedMessage[] = [];

  // Dossiers: arrivals in office hours; each brings its own completion (and maybe rating) later.
  const arrivals = officeOpen(hour) ? poisson(DOSSIERS_PER_MINUTE, r) : 0;
  for (let k = 0; k < arrivals; k++) {
    const procedure = pick(PROCEDURES, r.next());
    const received = start + Math.floor(r.next() * MINUTE);
    const due = received + procedure.dueHours * HOUR;
    const ward = wardNames[Math.floor(r.next() * wardNames.length)] ?? 'phường';
    const agency = procedure.agency === 'ward' ? `UBND ${ward}` : procedure.agency;
    const id = `hs-${minute.toString(36)}-${k}`;
    const common = { procedure: procedure.code, agency, due, online: r.next() < ONLINE_SHARE };
    out.push({
      ts: received,
      topic: `${root}/dossier/${id}`,
      payload: JSON.stringify({ ts: received, event: 'received', ...common }),
    });
    const late = r.next() < LATE_SHARE;
    const took = procedure.dueHours * HOUR * (late ? 1.05 + 0.6 * r.next() : 0.2 + 0.75 * r.next());
    const completed = Math.round(received + took);
    const rated = r.next() < RATED_SHARE;
    const rating = late ? 1 + Math.floor(r.next() * 3) : r.next() < 0.9 ? 4 + Math.floor(r.next() * 2) : 3;
    out.push({
      ts: completed,
      topic: `${root}/dossier/${id}`,
      payload: JSON.stringify({ ts: completed, event: 'completed', ...common, ...(rated ? { rating } : {}) }),
    });
  }

  // Cameras: people and vehicles pass by day, few at night; an object stays 5–60 s in view.
  // They draw from the random stream after the dossiers, so leaving them out changes no dossier.
  if (dossiersOnly) return out;
  for (const [index, camera] of SIMULATED_CAMERAS.entries()) {
    const objects = poisson(0.4 + 2.5 * activity(hour), r);
    for (let k = 0; k < objects; k++) {
      const label = r.next() < 0.55 ? 'person' : r.next() < 0.8 ? 'car' : 'motorcycle';
      const startAt = start + Math.floor(r.next() * MINUTE);
      const endAt = startAt + Math.floor(5_000 + r.next() * 55_000);
      const score = Math.round((0.62 + 0.37 * r.next()) * 1000) / 1000;
      const id = `${(startAt / 1000).toFixed(3)}-${index}${k}${Math.floor(r.next() * 1e6).toString(36)}`;
      // Bắc Giang plates start with 98; Frigate 0.16 reports recognised plates on the car itself.
      const plate =
        label === 'car' && r.next() < 0.5
          ? `98A-${100 + Math.floor(r.next() * 900)}.${10 + Math.floor(r.next() * 90)}`
          : null;
      const object = (type: 'new' | 'end', at: number) => ({
        id,
        camera: camera.id,
        label,
        score,
        top_score: score,
        frame_time: at / 1000,
        start_time: startAt / 1000,
        end_time: type === 'end' ? endAt / 1000 : null,
        current_zones: type === 'end' ? [] : ['vung-giam-sat'],
        entered_zones: ['vung-giam-sat'],
        has_snapshot: true,
        has_clip: type === 'end',
        recognized_license_plate: plate,
      });
      out.push({
        ts: startAt,
        topic: camerasTopic,
        payload: JSON.stringify({ type: 'new', before: object('new', startAt), after: object('new', startAt) }),
      });
      out.push({
        ts: endAt,
        topic: camerasTopic,
        payload: JSON.stringify({ type: 'end', before: object('new', startAt), after: object('end', endAt) }),
      });
    }
  }
  return out;
}

/**
 * The event streams of the demo city. Messages of a minute are generated once that minute is
 * reached; those due later (completions, object ends) wait in order. Ward dossiers go to the
 * people's committees of `wardNames`.
 */
export function createEventStreams(
  seed: number,
  root: string,
  camerasTopic = 'frigate/events',
  wardNames: readonly string[] = [],
): EventStreams {
  const pending: TimedMessage[] = [];
  let generatedUpTo: number | undefined;

  return {
    between(from, to, dossiersOnly = false) {
      const firstMinute = Math.floor(from / MINUTE);
      const lastMinute = Math.floor(to / MINUTE);
      for (let minute = Math.max(firstMinute, generatedUpTo ?? firstMinute); minute <= lastMinute; minute++) {
        for (const message of minuteMessages(seed, minute, root, camerasTopic, wardNames, dossiersOnly))
          pending.push(message);
      }
      generatedUpTo = lastMinute + 1;
      pending.sort((a, b) => a.ts - b.ts);
      const due: TimedMessage[] = [];
      let i = 0;
      while (i < pending.length && pending[i]!.ts <= to) {
        if (pending[i]!.ts > from) due.push(pending[i]!);
        i++;
      }
      pending.splice(0, i);
      return due;
    },
  };
}
