import type { CameraEvent, CameraEventsQuery, CameraInfo, Observation } from '../../contract/index.js';
import type { CameraConfig } from '../../config/wall-schema.js';
import type { FrigateChange } from '../../ingest/adapters/frigate.js';

export interface CameraBookOptions {
  cameras: readonly CameraConfig[];
  /** How long finished events stay listed (ms). */
  keep: number;
  /** Most events kept, oldest dropped first. */
  maxKept: number;
  /** Events kept before a restart (oldest first, without plates), listed again until they expire. */
  restored?: readonly CameraEvent[];
}

export interface CameraBook {
  /** The configured cameras, as the console shows them. */
  cameras(): CameraInfo[];
  isKnown(camera: string): boolean;
  /**
   * Records one object change and answers the camera's observation for domain `camera`: how many
   * objects of each label it sees now, and the latest detection. Plates never go into it: they stay
   * in this book, behind the `plates.read` permission, and so never reach the store or an export.
   */
  record(change: FrigateChange, now: number): Observation;
  /** Newest first; `plate` only when `withPlates`. */
  list(query: CameraEventsQuery, withPlates: boolean, now: number): CameraEvent[];
  size(): number;
  /** Bumped on every change, so a writer knows whether there is anything new to save. */
  version(): number;
  /** Every event kept, oldest first (plates included: the caller drops them before they leave memory). */
  all(): CameraEvent[];
}

/** Recent camera events in memory, and the objects each camera sees right now. */
export function createCameraBook(options: CameraBookOptions): CameraBook {
  const byId = new Map(options.cameras.map((camera) => [camera.id, camera]));
  // Insertion order is first-seen order, so pruning walks from the oldest.
  const events = new Map<string, CameraEvent>((options.restored ?? []).map((event) => [event.id, event]));
  let version = 0;
  /** Per camera: label → ids of objects in view. */
  const inView = new Map<string, Map<string, Set<string>>>();

  const urlOf = (template: string, id: string) => template.replaceAll('{id}', encodeURIComponent(id));

  const prune = (now: number) => {
    for (const [id, event] of events) {
      const expired = event.end !== null && event.end < now - options.keep;
      if (!expired && events.size <= options.maxKept) break;
      events.delete(id);
      version++;
    }
  };

  const countsOf = (camera: string) => {
    const labels = inView.get(camera) ?? new Map<string, Set<string>>();
    inView.set(camera, labels);
    return labels;
  };

  return {
    cameras: () => options.cameras.map(({ id, name, lat, lon }) => ({ id, name, lat, lon })),
    isKnown: (camera) => byId.has(camera),
    record(change, now) {
      const camera = byId.get(change.camera);
      if (!camera) throw new Error(`camera "${change.camera}" is not configured`);
      const previous = events.get(change.id);
      const plate = change.plate ?? previous?.plate;
      const event: CameraEvent = {
        id: change.id,
        camera: change.camera,
        label: change.label,
        score: Math.max(change.score, previous?.score ?? 0),
        start: change.start,
        end: change.end,
        zones: change.zones,
        ...(change.hasSnapshot && camera.snapshotUrl ? { snapshotUrl: urlOf(camera.snapshotUrl, change.id) } : {}),
        ...(change.hasClip && camera.clipUrl ? { clipUrl: urlOf(camera.clipUrl, change.id) } : {}),
        ...(plate !== undefined ? { plate } : {}),
      };
      events.set(change.id, event);
      version++;

      const labels = countsOf(change.camera);
      // A label changes while Frigate refines it: the object leaves its old label's count.
      for (const [label, ids] of labels) if (label !== change.label) ids.delete(change.id);
      const ids = labels.get(change.label) ?? new Set<string>();
      labels.set(change.label, ids);
      if (change.type === 'end' || change.end !== null) ids.delete(change.id);
      else ids.add(change.id);
      prune(now);

      // Every label this camera has seen, so a count falls back to 0 and a rule on it clears.
      const fields: Observation['fields'] = {};
      let objects = 0;
      for (const [label, inFrame] of labels) {
        fields[label] = inFrame.size;
        objects += inFrame.size;
      }
      fields.objects = objects;
      fields.last_label = change.label;
      fields.last_score = Math.round(change.score * 1000) / 1000;
      return { domain: 'camera', id: camera.id, ts: change.at, lat: camera.lat, lon: camera.lon, fields, tags: { name: camera.name } };
    },
    list(query, withPlates, now) {
      prune(now);
      const out: CameraEvent[] = [];
      const all = [...events.values()];
      for (let i = all.length - 1; i >= 0 && out.length < query.limit; i--) {
        const event = all[i]!;
        if (query.camera !== undefined && event.camera !== query.camera) continue;
        if (query.label !== undefined && event.label !== query.label) continue;
        if (query.from !== undefined && (event.end ?? now) < query.from) continue;
        if (withPlates || event.plate === undefined) out.push(event);
        else {
          const { plate: _plate, ...rest } = event;
          out.push(rest);
        }
      }
      return out;
    },
    size: () => events.size,
    version: () => version,
    all: () => [...events.values()],
  };
}
