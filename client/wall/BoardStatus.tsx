import type { ReactNode } from 'react';
import { t, useLocale } from '../i18n/i18n.js';
import { formatClock } from './wall-format.js';
import type { ResourceState } from './wall-resource.js';

/**
 * What a REST board shows around its content: "loading" before the first answer, "no data" when the
 * server does not serve the route, else the content and the time of its figures.
 */
export function BoardFrame<T>({ state, children }: { state: ResourceState<T>; children: (data: T) => ReactNode }) {
  const locale = useLocale();
  if (state.data === null) {
    return (
      <p className="wall__empty" role="status">
        {state.failure === 'missing' || state.failure === 'forbidden' ? t('wall.unavailable') : t('wall.loading')}
      </p>
    );
  }
  return (
    <>
      {children(state.data)}
      <p className="wall__asof">{t('wall.asOf', { time: formatClock(state.at, locale) })}</p>
    </>
  );
}
