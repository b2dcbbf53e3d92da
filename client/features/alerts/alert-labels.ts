import type { Alert } from '../../../contract/alert.js';
import type { ZoneInfo } from '../../../contract/api.js';
import type { RuleName } from '../../../contract/wall.js';
import { formatField } from '../../i18n/format.js';
import { t } from '../../i18n/i18n.js';
import type { Locale } from '../../i18n/messages.js';
import { failureText as describeFailure } from '../../session/failure-text.js';
import type { EntityStore } from '../../state/entity-store.js';
import { zoneAt } from './zones.js';

/** The rule's name, or the alert's own message when the rule is unknown (deleted, not loaded yet). */
export function ruleLabel(alert: Alert, rules: ReadonlyMap<string, RuleName>): string {
  return rules.get(alert.ruleId)?.name ?? alert.message;
}

/** The entity's `name` tag from the live store, else its id. */
export function entityLabel(alert: Alert, store: EntityStore): string {
  return store.get(`${alert.domain}/${alert.entityId}`)?.tags?.name ?? alert.entityId;
}

/** The value that tripped the rule, with the field's unit when the rule is a plain threshold. */
export function valueLabel(alert: Alert, rules: ReadonlyMap<string, RuleName>, locale: Locale): string | null {
  if (alert.value === null) return null;
  return formatField(rules.get(alert.ruleId)?.field ?? '', alert.value, locale, t);
}

/** Where the alert is, for the row: the zone's name, or a word saying there is no position. */
export function zoneLabel(alert: Alert, zones: readonly ZoneInfo[], store: EntityStore, locale: Locale): string {
  const entity = store.get(`${alert.domain}/${alert.entityId}`);
  const lat = alert.lat ?? entity?.lat ?? null;
  const lon = alert.lon ?? entity?.lon ?? null;
  if (lat === null || lon === null) return t('zone.unknown');
  return zoneAt(zones, lat, lon)?.name[locale] ?? t('zone.city');
}

/** A failed action as the operator reads it: the server's message verbatim, framed by what went wrong. */
export function failureText(err: unknown): string {
  return describeFailure(err, t);
}
