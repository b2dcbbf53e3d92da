import { t, useLocale } from '../i18n/i18n.js';
import type { ReadonlyObservable } from '../state/observable.js';
import { useObservable } from '../ui/hooks.js';
import { formatClock } from './wall-format.js';
import type { WallHealth } from './wall-health.js';

/** Says, across the top, that the picture is old and since when; gone when live data flows again. */
export function StaleBanner({ health }: { health: ReadonlyObservable<WallHealth> }) {
  const locale = useLocale();
  const state = useObservable(health);
  if (!state.stale) return null;
  const time = formatClock(state.since, locale);
  return (
    <div
      className={state.lost ? 'wall-stale wall-stale--lost' : 'wall-stale'}
      role="alert"
      data-testid="wall-stale"
      data-lost={state.lost}
    >
      <span className="wall-stale__text">{t(state.lost ? 'wall.stale.lost' : 'wall.stale.data', { time })}</span>
      {state.lost && <span className="wall-stale__retry">{t('wall.stale.retrying')}</span>}
    </div>
  );
}
