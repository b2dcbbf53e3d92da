import type { Alert } from '../../../contract/alert.js';
import type { EntityStore } from '../../state/entity-store.js';
import { focusRequest, selection } from '../../state/ui-state.js';

/** Flies the map to the alert's entity (its live position, else where it alerted) and opens the inspector. */
export function locateAlert(alert: Alert, store: EntityStore): void {
  const key = `${alert.domain}/${alert.entityId}`;
  const entity = store.get(key);
  const lat = entity?.lat ?? alert.lat ?? null;
  const lon = entity?.lon ?? alert.lon ?? null;
  if (lat !== null && lon !== null) focusRequest.set({ lat, lon, at: performance.now() });
  selection.set(key);
}
