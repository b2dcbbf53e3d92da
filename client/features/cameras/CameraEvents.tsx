import { useState } from 'react';
import type { CameraEvent, CameraEventsResponse } from '../../../contract/wall.js';
import { formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, tOr, useLocale } from '../../i18n/i18n.js';
import { call } from '../../live/http.js';
import { FormError } from '../admin/FormError.js';
import { useRefreshed } from '../kpis/use-refreshed.js';
import './cameras.css';

/** Events shown per camera, newest first. */
const EVENT_LIMIT = 20;
const REFRESH_MS = 10_000;

function fetchEvents(camera: string, signal: AbortSignal): Promise<CameraEventsResponse> {
  return call<CameraEventsResponse>(
    'GET',
    `/cameras/events?camera=${encodeURIComponent(camera)}&limit=${EVENT_LIMIT}`,
    {
      signal,
    },
  );
}

/** Only links of the web (a snapshot or clip URL from the config or Frigate), never `javascript:` and the like. */
function safeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The snapshot as a thumbnail linking to the full picture; a plain link when the picture cannot be shown
 * here (the camera server is down, or the page's Content-Security-Policy does not list its origin).
 */
function Snapshot({ url }: { url: string }) {
  const [failed, setFailed] = useState(false);
  return (
    <a
      className={failed ? 'cam-event__thumb cam-event__thumb--text' : 'cam-event__thumb'}
      href={url}
      target="_blank"
      rel="noopener noreferrer"
      data-testid="camera-snapshot"
    >
      {failed ? t('camera.snapshot') : <img src={url} alt={t('camera.snapshot')} onError={() => setFailed(true)} />}
    </a>
  );
}

function EventRow({ event }: { event: CameraEvent }) {
  const locale = useLocale();
  const snapshot = safeUrl(event.snapshotUrl);
  const clip = safeUrl(event.clipUrl);
  return (
    <li className="cam-event" data-testid="camera-event" data-label={event.label}>
      {snapshot && <Snapshot url={snapshot} />}
      <div className="cam-event__text">
        <span className="cam-event__label">{tOr(`camera.label.${event.label}`, event.label)}</span>
        <span className="cam-event__meta">
          {formatCityTime(event.start, locale)}
          {event.end === null && ` · ${t('camera.inView')}`} ·{' '}
          {t('camera.score', { value: `${formatNumber(event.score * 100, locale, 0)}%` })}
        </span>
        {event.plate !== undefined && (
          <span className="cam-event__plate" data-testid="camera-plate">
            {t('camera.plate')}: <span className="mono">{event.plate}</span>
          </span>
        )}
        {clip && (
          <a className="cam-event__clip" href={clip} target="_blank" rel="noopener noreferrer">
            {t('camera.clip')}
          </a>
        )}
      </div>
    </li>
  );
}

/** The inspector's section for a camera: its recent detections (refreshed every 10 s), plates only when the server sent them. */
export function CameraEvents({ camera }: { camera: string }) {
  useLocale();
  const { data, error } = useRefreshed((signal) => fetchEvents(camera, signal), REFRESH_MS, camera);
  const events = data?.events.filter((event) => event.camera === camera) ?? null;
  return (
    <section aria-labelledby="camera-events-title" data-testid="camera-events">
      <h3 id="camera-events-title" className="inspector__section">
        {t('camera.events')}
      </h3>
      <FormError error={error} />
      {events === null && error === null && <p className="cam-events__hint">{t('camera.loading')}</p>}
      {events?.length === 0 && <p className="cam-events__hint">{t('camera.none')}</p>}
      {events && events.length > 0 && (
        <ul className="cam-events">
          {events.map((event) => (
            <EventRow key={event.id} event={event} />
          ))}
        </ul>
      )}
    </section>
  );
}
