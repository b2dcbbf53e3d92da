import type { Locale } from '../i18n/messages.js';
import { directionsUrl, distanceM, formatDistance, type FieldItem } from './field-items.js';
import { ft, isFieldKey } from './field-messages.js';
import { formatSpan } from './texts.js';

/** The badge that says how bad it is: severity for alerts, overdue or time left for reports. */
export function UrgencyBadge({ item, now, locale }: { item: FieldItem; now: number; locale: Locale }) {
  if (item.kind === 'report') {
    if (item.overdue) {
      return (
        <span className="fbadge fbadge--critical" data-testid="overdue">
          {item.deadline === undefined ? ft('field.overdue') : ft('field.overdueBy', { span: formatSpan(now - item.deadline, locale) })}
        </span>
      );
    }
    return (
      <span className="fbadge fbadge--report">
        {item.deadline === undefined ? ft('field.kind.report') : ft('field.dueIn', { span: formatSpan(item.deadline - now, locale) })}
      </span>
    );
  }
  return <span className={`fbadge fbadge--${item.severity}`}>{ft(`field.severity.${item.severity}`)}</span>;
}

/** The item's state as the server has it. */
export function stateText(state: string): string {
  const key = `field.state.${state}`;
  return isFieldKey(key) ? ft(key) : state;
}

/** Distance from the phone and a directions link, or why there is none. */
export function Whereabouts({
  item,
  position,
  refused,
  locale,
}: {
  item: FieldItem;
  position: { lat: number; lon: number } | null;
  refused: boolean;
  locale: Locale;
}) {
  if (item.lat === null || item.lon === null) return <span className="frow__where">{ft('field.noPosition')}</span>;
  const distance = position ? formatDistance(distanceM(position, { lat: item.lat, lon: item.lon }), locale) : null;
  return (
    <>
      <span className="frow__where" data-testid="distance">
        {distance !== null ? ft('field.distance', { distance }) : refused ? ft('field.noGeo') : ft('field.locating')}
      </span>
      <a
        className="fbtn fbtn--link"
        href={directionsUrl(item.lat, item.lon)}
        target="_blank"
        rel="noopener noreferrer"
        data-testid="directions"
      >
        {ft('field.directions')}
      </a>
    </>
  );
}
