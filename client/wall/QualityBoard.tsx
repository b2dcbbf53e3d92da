import { useEffect } from 'react';
import type { ConsoleConfig } from '../../contract/api.js';
import type { QualityDomain, QualityResponse } from '../../contract/wall.js';
import { formatNumber } from '../i18n/format.js';
import { t, useLocale } from '../i18n/i18n.js';
import type { Locale } from '../i18n/messages.js';
import { useObservable } from '../ui/hooks.js';
import { BoardFrame } from './BoardStatus.js';
import { domainName, formatLag } from './wall-format.js';
import type { Resource } from './wall-resource.js';

/** Reject reasons named per domain card. */
const TOP_REASONS = 2;

function DomainCard({ quality, config, locale }: { quality: QualityDomain; config: ConsoleConfig; locale: Locale }) {
  const worst = quality.silent > 0 ? 'bad' : quality.stale > 0 ? 'warn' : 'ok';
  const reasons = [...quality.rejects].sort((a, b) => b.count - a.count).slice(0, TOP_REASONS);
  return (
    <article className={`wall-dq wall-dq--${worst}`} data-testid="quality-domain" data-domain={quality.domain}>
      <h2 className="wall-dq__name">{domainName(quality.domain, config.domains[quality.domain]?.label, locale)}</h2>
      <dl className="wall-dq__counts">
        <div className="wall-dq__count wall-dq__count--ok">
          <dt>{t('wall.quality.reporting')}</dt>
          <dd>{formatNumber(quality.reporting, locale, 0)}</dd>
        </div>
        <div className="wall-dq__count wall-dq__count--warn">
          <dt>{t('wall.quality.stale')}</dt>
          <dd>{formatNumber(quality.stale, locale, 0)}</dd>
        </div>
        <div className="wall-dq__count wall-dq__count--bad">
          <dt>{t('wall.quality.silent')}</dt>
          <dd>{formatNumber(quality.silent, locale, 0)}</dd>
        </div>
      </dl>
      <p className="wall-dq__line">
        {t('wall.quality.rate', { n: formatNumber(quality.receivedPerMinute, locale, 1) })}
      </p>
      <p className="wall-dq__line">
        {quality.lagP95Ms === null
          ? t('wall.quality.lagNone')
          : t('wall.quality.lag', { value: formatLag(quality.lagP95Ms, locale) })}
      </p>
      {quality.rejected === 0 ? (
        <p className="wall-dq__line wall-dq__line--clean">{t('wall.quality.clean')}</p>
      ) : (
        <>
          <p className="wall-dq__line wall-dq__line--bad">
            {t('wall.quality.rejected', { n: formatNumber(quality.rejected, locale, 0) })}
          </p>
          {reasons.map((reject) => (
            <p className="wall-dq__reason" key={reject.reason}>
              {formatNumber(reject.count, locale, 0)} × {reject.reason}
            </p>
          ))}
        </>
      )}
    </article>
  );
}

/** Per domain: how many entities report, lag behind or fell silent, the rate, the lag, and what was refused. */
export function QualityBoard({
  resource,
  config,
  active,
}: {
  resource: Resource<QualityResponse>;
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
      {(data) =>
        data.domains.length === 0 ? (
          <p className="wall__empty">{t('wall.quality.none')}</p>
        ) : (
          <div className="wall-dqs" data-testid="quality-board">
            {data.domains.map((quality) => (
              <DomainCard key={quality.domain} quality={quality} config={config} locale={locale} />
            ))}
          </div>
        )
      }
    </BoardFrame>
  );
}
