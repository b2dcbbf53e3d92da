import type { Alert } from '../../contract/alert.js';
import type { ConsoleConfig } from '../../contract/api.js';
import { zoneLabel } from '../features/alerts/alert-labels.js';
import { t } from '../i18n/i18n.js';
import type { Locale } from '../i18n/messages.js';
import type { EntityStore } from '../state/entity-store.js';

/** Where an alert is: the zone recorded when it fired, else the zone its position falls in. */
export function alertZone(alert: Alert, config: ConsoleConfig, store: EntityStore, locale: Locale): string {
  if (alert.zone === 'city') return t('wall.zone.city');
  const recorded = alert.zone === undefined ? undefined : config.map.zones.find((zone) => zone.id === alert.zone);
  if (recorded) return recorded.name[locale];
  return zoneLabel(alert, config.map.zones, store, locale);
}
