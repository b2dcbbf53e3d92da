import { useEffect } from 'react';
import type { ConsoleConfig } from '../../contract/api.js';
import type { CameraEvent, CameraEventsResponse } from '../../contract/wall.js';
import { t, useLocale } from '../i18n/i18n.js';
import type { Locale } from '../i18n/messages.js';
import { useObservable } from '../ui/hooks.js';
import { BoardFrame } from './BoardStatus.js';
import { cameraLabel, formatClock } from './wall-format.js';
import type { Resource } from './wall-resource.js';

/** Cards on one screen (two rows of four at 16:9). */
const MAX_CARDS = 8;

function CameraCard({ event, name, locale }: { event: CameraEvent; name: string; locale: Locale }) {
  return (
    <article className="wall-cam" data-testid="camera-event" data-event-id={event.id}>
      {event.snapshotUrl ? (
        <img className="wall-cam__shot" src={event.snapshotUrl} alt="" loading="lazy" />
      ) : (
        <div className="wall-cam__shot wall-cam__shot--none">{t('wall.cameras.noSnapshot')}</div>
      )}
      <div className="wall-cam__text">
        <h2 className="wall-cam__label">{cameraLabel(event.label)}</h2>
        <p className="wall-cam__name">{name}</p>
        <p className="wall-cam__meta">
          <span>{formatClock(event.start, locale, true)}</span>
          <span>{t('wall.cameras.score', { n: Math.round(event.score * 100) })}</span>
          {event.end === null && <span className="wall-cam__live">{t('wall.cameras.inView')}</span>}
        </p>
      </div>
    </article>
  );
}

/** The latest camera detections, newest first, with their snapshots. */
export function CameraBoard({
  resource,
  config,
  active,
}: {
  resource: Resource<CameraEventsResponse>;
  config: ConsoleConfig;
  active: boolean;
}) {
  const locale = useLocale();
  const state = useObservable(resource.state);
  useEffect(() => {
    if (active) resource.refresh();
  }, [active, resource]);
  return (
    <BoardFrame state={state}>
      {(data) => {
        const names = new Map([...(config.cameras ?? []), ...data.cameras].map((camera) => [camera.id, camera.name]));
        const events = [...data.events].sort((a, b) => b.start - a.start).slice(0, MAX_CARDS);
        if (events.length === 0) return <p className="wall__empty">{t('wall.cameras.none')}</p>;
        return (
          <div className="wall-cams" data-testid="camera-board">
            {events.map((event) => (
              <CameraCard key={event.id} event={event} name={names.get(event.camera) ?? event.camera} locale={locale} />
            ))}
          </div>
        );
      }}
    </BoardFrame>
  );
}
