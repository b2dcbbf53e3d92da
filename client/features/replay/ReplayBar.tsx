import { useEffect, useMemo, useState } from 'react';
import { useObservable } from '../../ui/hooks.js';
import { CalendarIcon, DownloadIcon, PlayIcon } from '../../ui/icons.js';
import { exportDialog } from '../export/export-state.js';
import { CITY_TIME_ZONE, formatCityDate, formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { Locale } from '../../i18n/messages.js';
import type { ReplayController } from './replay-controller.js';
import { densityBuckets, densityMax } from './replay-density.js';
import { REPLAY_SPEEDS } from './replay-speed.js';
import { WindowPicker } from './WindowPicker.js';

const HOUR_MS = 3_600_000;
/** The window presets, each ending now. */
const PRESETS = [
  { key: 'replay.preset.1h', ms: HOUR_MS },
  { key: 'replay.preset.24h', ms: 24 * HOUR_MS },
  { key: 'replay.preset.7d', ms: 7 * 24 * HOUR_MS },
] as const;
/** Bars of the alert-density track. */
const DENSITY_BARS = 96;

const shortFormats = new Map<Locale, Intl.DateTimeFormat>();

/** "14:32 01/12" in Vietnam time: the banner's short form of a past moment. */
export function formatReplayShort(ms: number, locale: Locale): string {
  let format = shortFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', {
      timeZone: CITY_TIME_ZONE,
      hour: '2-digit',
      minute: '2-digit',
      day: '2-digit',
      month: '2-digit',
      hourCycle: 'h23',
    });
    shortFormats.set(locale, format);
  }
  const parts = Object.fromEntries(format.formatToParts(ms).map((part) => [part.type, part.value]));
  return `${parts.hour ?? ''}:${parts.minute ?? ''} ${parts.day ?? ''}/${parts.month ?? ''}`;
}

/** The banner that says the console shows the past, with the moment: over the map, or as a strip on phones. */
export function ReplayBanner({ replay, strip = false }: { replay: ReplayController; strip?: boolean }) {
  const locale = useLocale();
  const { at } = useObservable(replay.view);
  return (
    <div
      className={strip ? 'replay-strip' : 'replay-banner'}
      role={strip ? undefined : 'status'}
      data-testid={strip ? 'replay-strip' : 'replay-banner'}
    >
      {t('replay.banner', { time: formatReplayShort(at, locale) })}
    </div>
  );
}

function DensityTrack({ replay, from, to }: { replay: ReplayController; from: number; to: number }) {
  const events = useObservable(replay.events);
  const buckets = useMemo(() => densityBuckets(events, from, to, DENSITY_BARS), [events, from, to]);
  const max = densityMax(buckets);
  return (
    <div className="replay-density" role="img" aria-label={t('replay.density')} data-testid="replay-density">
      {buckets.map((bucket) => (
        <span
          key={bucket.from}
          className={`replay-density__bar${bucket.worst ? ` replay-density__bar--${bucket.worst}` : ''}`}
          style={{ height: `${bucket.count === 0 ? 0 : Math.max(8, (bucket.count / max) * 100)}%` }}
        />
      ))}
    </div>
  );
}

/** The time bar at the bottom in replay: the moment, play/pause, speeds, window, density and playhead, back to live. */
export function ReplayBar({
  replay,
  onLive,
  keptFor,
}: {
  replay: ReplayController;
  onLive: () => void;
  keptFor?: number;
}) {
  const locale = useLocale();
  const view = useObservable(replay.view);
  // The slider follows a drag at once; the controller debounces the fetch.
  const [drag, setDrag] = useState<number | null>(null);
  const [picking, setPicking] = useState(false);
  useEffect(() => setDrag(null), [view.at]);
  const at = drag ?? view.at;
  const span = view.to - view.from;
  return (
    <section className="replay-bar" aria-label={t('replay.title')} data-testid="replay-bar">
      <div className="replay-bar__moment">
        <time className="replay-bar__time" dateTime={new Date(at).toISOString()} data-testid="replay-time">
          {formatCityTime(at, locale)}
        </time>
        <span className="replay-bar__date">
          {formatCityDate(at, locale)} · {t('clock.zone')}
        </span>
      </div>
      <div className="replay-bar__controls">
        <button
          type="button"
          className="act act--primary replay-bar__play"
          onClick={() => (view.playing ? replay.pause() : replay.play())}
          aria-pressed={view.playing}
          data-testid="replay-play"
        >
          <PlayIcon playing={view.playing} />
          <span>{view.playing ? t('replay.pause') : t('replay.play')}</span>
        </button>
        <div className="replay-bar__group" role="group" aria-label={t('replay.speed')}>
          {REPLAY_SPEEDS.map((speed) => (
            <button
              key={speed}
              type="button"
              className="replay-chip"
              aria-pressed={view.speed === speed}
              onClick={() => replay.setSpeed(speed)}
              data-testid={`replay-speed-${speed}`}
            >
              {formatNumber(speed, locale, 0)}×
            </button>
          ))}
        </div>
        <div className="replay-bar__group" role="group" aria-label={t('replay.window')}>
          {PRESETS.map((preset) => (
            <button
              key={preset.key}
              type="button"
              className="replay-chip"
              aria-pressed={Math.abs(span - preset.ms) < 60_000}
              onClick={() => {
                const to = Math.floor(Date.now() / 1000) * 1000;
                replay.setWindow(to - preset.ms, to);
              }}
            >
              {t(preset.key)}
            </button>
          ))}
          <button
            type="button"
            className="replay-chip replay-chip--icon"
            aria-expanded={picking}
            aria-pressed={!PRESETS.some((preset) => Math.abs(span - preset.ms) < 60_000)}
            onClick={() => setPicking((open) => !open)}
            data-testid="replay-window-custom"
          >
            <CalendarIcon />
            <span>{t('replay.window.custom')}</span>
          </button>
        </div>
        <button
          type="button"
          className="replay-chip replay-chip--icon replay-bar__export"
          onClick={() => exportDialog.set('city')}
          data-testid="replay-export"
        >
          <DownloadIcon />
          <span>{t('export.open')}</span>
        </button>
        {view.loading && <span className="replay-bar__status">{t('replay.loading')}</span>}
      </div>
      <div className="replay-bar__track">
        <DensityTrack replay={replay} from={view.from} to={view.to} />
        <input
          type="range"
          className="replay-bar__playhead"
          min={view.from}
          max={view.to}
          step={1000}
          value={at}
          aria-label={t('replay.playhead')}
          aria-valuetext={formatCityTime(at, locale, true)}
          onChange={(event) => {
            const next = Number(event.target.value);
            setDrag(next);
            replay.seek(next);
          }}
          data-testid="replay-playhead"
        />
        <div className="replay-bar__ends" aria-hidden="true">
          <span>{formatReplayShort(view.from, locale)}</span>
          <span>{formatReplayShort(view.to, locale)}</span>
        </div>
      </div>
      {picking && (
        <WindowPicker
          from={view.from}
          to={view.to}
          onCancel={() => setPicking(false)}
          {...(keptFor !== undefined ? { keptFor } : {})}
          onApply={(from, to) => {
            setPicking(false);
            replay.setWindow(from, to);
          }}
        />
      )}
      {view.error !== null && (
        <p className="replay-bar__error" role="alert">
          {t('replay.error', { message: view.error })}
        </p>
      )}
      <button type="button" className="act replay-bar__live" onClick={onLive} data-testid="replay-live">
        <span className="replay-bar__live-dot" aria-hidden="true" />
        {t('replay.live')}
      </button>
    </section>
  );
}
