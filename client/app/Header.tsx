import { formatCityDate, formatCityTime, formatNumber } from '../i18n/format.js';
import type { Me } from '../../contract/identity.js';
import { t, useLocale } from '../i18n/i18n.js';
import type { ConnectionStatus } from '../live/live-client.js';
import type { KindCounts } from '../state/layer-kinds.js';
import type { Observable } from '../state/observable.js';
import { useObservable } from '../ui/hooks.js';
import { useAccess } from '../session/use-session.js';
import { ReplayIcon, RulesIcon, SoundIcon } from '../ui/icons.js';
import { LanguageSwitch } from './LanguageSwitch.js';
import { PageButtons, UserMenu, type ConsolePage } from './UserMenu.js';
import { LAYER_KINDS } from '../state/layer-kinds.js';
import { KIND_SWATCH } from '../ui/swatches.js';
import { usePolled } from '../ui/hooks.js';

interface HeaderProps {
  status: ConnectionStatus;
  /** Wall-clock time (ms) of the last data received, or 0; sampled by the header itself. */
  lastUpdate: () => number;
  counts: KindCounts;
  /** The alarm's mute switch (persisted by the alerts runtime). */
  muted: Observable<boolean>;
  me: Me;
  /** Opens a full-screen page; the header offers only those `me` may use. */
  onOpen: (page: ConsolePage) => void;
  /** Whether the console shows the past (the replay button is then hidden: the time bar has "back to live"). */
  replaying: boolean;
  /** Enters replay; absent for those without `history.read`. */
  onReplay: (() => void) | undefined;
}

function MuteSwitch({ muted }: { muted: Observable<boolean> }) {
  useLocale();
  const off = useObservable(muted);
  return (
    <button
      type="button"
      className={`head-button mute${off ? ' mute--off' : ''}`}
      aria-pressed={off}
      title={off ? t('sound.unmute') : t('sound.mute')}
      aria-label={off ? t('sound.unmute') : t('sound.mute')}
      onClick={() => muted.set(!off)}
      data-testid="mute"
    >
      <SoundIcon off={off} />
      <span className="head-button__text">{off ? t('sound.off') : t('sound.on')}</span>
    </button>
  );
}

function Clock() {
  const locale = useLocale();
  const now = usePolled(() => Math.floor(Date.now() / 1000) * 1000, 250);
  return (
    <div className="clock" aria-live="off">
      <time className="clock__time" dateTime={new Date(now).toISOString()}>
        {formatCityTime(now, locale)}
      </time>
      <span className="clock__date">
        {formatCityDate(now, locale)} · {t('clock.zone')}
      </span>
    </div>
  );
}

function Connection({ status, lastUpdate: readLastUpdate }: Pick<HeaderProps, 'status' | 'lastUpdate'>) {
  const locale = useLocale();
  const lastUpdate = usePolled(readLastUpdate, 1000);
  const label = t(`conn.${status.state}`);
  const last = lastUpdate > 0 ? formatCityTime(lastUpdate, locale) : t('conn.noData');
  return (
    <div className={`conn conn--${status.state}`} role="status" data-testid="connection" data-state={status.state}>
      <span className="conn__dot" aria-hidden="true" />
      <span className="conn__text">
        <span className="conn__label">{label}</span>
        <span className="conn__last">
          {status.error
            ? t('conn.refused', { message: status.error })
            : status.partial
              ? t('conn.partial', { time: last })
              : t('conn.lastUpdate', { time: last })}
        </span>
      </span>
    </div>
  );
}

/** Top bar: identity, live counts per layer, connection state, rules, alarm sound, city clock and language. */
export function Header({ status, lastUpdate, counts, muted, me, onOpen, replaying, onReplay }: HeaderProps) {
  const locale = useLocale();
  const access = useAccess();
  return (
    <header className="header">
      <div className="brand">
        <span className="brand__mark" aria-hidden="true">
          {t('app.short')}
        </span>
        <span className="brand__text">
          <span className="brand__title">{t('app.title')}</span>
          <span className="brand__city">{t('app.city')}</span>
        </span>
      </div>
      <ul className="counts" aria-label={t('panel.layers')}>
        {LAYER_KINDS.filter((kind) => kind !== 'other' || counts.other > 0).map((kind) => (
          <li key={kind} className="counts__item" data-kind={kind} title={t(`kind.${kind}`)}>
            <span className="swatch" style={{ background: KIND_SWATCH[kind] }} aria-hidden="true" />
            <span className="counts__value">{formatNumber(counts[kind], locale, 0)}</span>
            <span className="counts__label">{t(`kindShort.${kind}`)}</span>
          </li>
        ))}
      </ul>
      <div className="header__right">
        <Connection status={status} lastUpdate={lastUpdate} />
        {onReplay && !replaying && (
          <button
            type="button"
            className="head-button replay-open"
            onClick={onReplay}
            title={t('replay.open')}
            aria-label={t('replay.open')}
            data-testid="open-replay"
          >
            <ReplayIcon />
            <span className="head-button__text">{t('replay.open')}</span>
          </button>
        )}
        {access.rules && (
          <button
            type="button"
            className="head-button head-button--desk"
            onClick={() => onOpen('rules')}
            title={t('rules.open')}
            data-testid="open-rules"
          >
            <RulesIcon />
            <span className="head-button__text">{t('rules.open')}</span>
          </button>
        )}
        <PageButtons access={access} onOpen={onOpen} />
        <MuteSwitch muted={muted} />
        <Clock />
        <LanguageSwitch />
        <UserMenu me={me} access={access} onOpen={onOpen} />
      </div>
    </header>
  );
}
