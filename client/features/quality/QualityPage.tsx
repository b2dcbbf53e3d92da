import { useState } from 'react';
import type { ZoneInfo } from '../../../contract/api.js';
import type { QualityDomain, QualityEntity, QualityReject, QualityResponse } from '../../../contract/wall.js';
import { formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, tOr, useLocale } from '../../i18n/i18n.js';
import type { Locale } from '../../i18n/messages.js';
import { call } from '../../live/http.js';
import type { EntityStore } from '../../state/entity-store.js';
import { focusRequest, selection } from '../../state/ui-state.js';
import { FormError } from '../admin/FormError.js';
import { useRefreshed } from '../kpis/use-refreshed.js';
import './quality.css';

/** The view refreshes this often while open. */
export const QUALITY_REFRESH_MS = 10_000;
/** Worst entities listed per domain. */
const WORST_LIMIT = 12;

function fetchQuality(signal: AbortSignal): Promise<QualityResponse> {
  return call<QualityResponse>('GET', `/quality?limit=${WORST_LIMIT}`, { signal });
}

/** Ingest lag for people: ms under a second, seconds to a minute, then minutes. */
export function formatLag(ms: number | null, locale: Locale): string {
  if (ms === null) return '–';
  if (ms < 1_000) return `${formatNumber(ms, locale, 0)} ms`;
  if (ms < 60_000) return `${formatNumber(ms / 1_000, locale, 1)} s`;
  return `${formatNumber(ms / 60_000, locale, 1)} min`;
}

function Figure({ label, value, tone, testId }: { label: string; value: string; tone?: string; testId?: string }) {
  return (
    <div className={`qfig${tone ? ` qfig--${tone}` : ''}`} data-testid={testId}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function RejectRow({ reject, locale }: { reject: QualityReject; locale: Locale }) {
  const [open, setOpen] = useState(false);
  return (
    <li className="qreject" data-testid="quality-reject" data-reason={reject.reason}>
      <div className="qreject__head">
        <span className="qreject__count">{formatNumber(reject.count, locale, 0)}</span>
        <span className="qreject__reason">{reject.reason}</span>
      </div>
      {reject.latest.length > 0 && (
        <button
          type="button"
          className="qlink"
          aria-expanded={open}
          onClick={() => setOpen((current) => !current)}
          data-testid="quality-examples"
        >
          {open ? t('quality.hideExamples') : t('quality.examples', { n: reject.latest.length })}
        </button>
      )}
      {open && (
        <ul className="qreject__examples">
          {reject.latest.map((example, index) => (
            <li key={`${example.at}-${index}`}>
              <span className="qreject__meta">
                {formatCityTime(example.at, locale)} · {example.source}
                {example.id !== undefined && ` · ${example.id}`}
              </span>
              <code className="qreject__example">{example.example}</code>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function EntityRow({
  domain,
  entity,
  locale,
  onLocate,
}: {
  domain: string;
  entity: QualityEntity;
  locale: Locale;
  onLocate: (key: string) => void;
}) {
  const key = `${domain}/${entity.id}`;
  return (
    <li className={`qentity qentity--${entity.status}`} data-testid="quality-entity" data-key={key}>
      <button
        type="button"
        className="qentity__button"
        onClick={() => onLocate(key)}
        title={t('quality.locate', { id: entity.id })}
      >
        <span className="qentity__id mono">{entity.id}</span>
        <span className="qentity__status">{t(`quality.status.${entity.status}`)}</span>
        <span className="qentity__figures">
          {t('quality.lastSeen')} {formatCityTime(entity.lastSeen, locale)} ·{' '}
          {formatNumber(entity.receivedPerMinute, locale, 1)}
          /min · p95 {formatLag(entity.lagP95Ms, locale)}
        </span>
        {entity.flags?.map((flag) => (
          <span
            key={`${flag.kind}-${flag.field}`}
            className="qentity__flag"
            data-testid="quality-flag"
            data-flag={flag.kind}
          >
            {t(`quality.flag.${flag.kind}`)} · {flag.field} = {formatNumber(flag.value, locale, 1)} · {flag.reason[locale]}
          </span>
        ))}
      </button>
    </li>
  );
}

/** Reporting, stale, silent and flagged counts per ward (zone), in the order of the configured zones. */
function WardTable({ domain, zones, locale }: { domain: QualityDomain; zones: readonly ZoneInfo[]; locale: Locale }) {
  const order = new Map(zones.map((zone, index) => [zone.id, index]));
  const rows = [...domain.zones].sort((a, b) => (order.get(a.zone) ?? Infinity) - (order.get(b.zone) ?? Infinity));
  const name = (id: string) => (id === 'city' ? t('quality.outside') : (zones.find((zone) => zone.id === id)?.name[locale] ?? id));
  const count = (n: number) => formatNumber(n, locale, 0);
  return (
    <table className="qwards" data-testid="quality-wards">
      <thead>
        <tr>
          <th scope="col">{t('quality.ward')}</th>
          <th scope="col">{t('quality.reporting')}</th>
          <th scope="col">{t('quality.stale')}</th>
          <th scope="col">{t('quality.silent')}</th>
          <th scope="col">{t('quality.flagged')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.zone} data-testid="quality-ward" data-zone={row.zone}>
            <th scope="row">{name(row.zone)}</th>
            <td>{count(row.reporting)}</td>
            <td className={row.stale > 0 ? 'qwards--warn' : undefined}>{count(row.stale)}</td>
            <td className={row.silent > 0 ? 'qwards--bad' : undefined}>{count(row.silent)}</td>
            <td className={row.flagged > 0 ? 'qwards--warn' : undefined}>{count(row.flagged)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DomainCard({
  domain,
  zones,
  locale,
  onLocate,
}: {
  domain: QualityDomain;
  zones: readonly ZoneInfo[];
  locale: Locale;
  onLocate: (key: string) => void;
}) {
  const worst = domain.entities;
  return (
    <section
      className="qdomain"
      data-testid="quality-domain"
      data-domain={domain.domain}
      aria-labelledby={`q-${domain.domain}`}
    >
      <h3 id={`q-${domain.domain}`} className="qdomain__title">
        {tOr(`quality.domain.${domain.domain}`, domain.domain)}
        <span className="qdomain__key mono">{domain.domain}</span>
      </h3>
      <dl className="qdomain__figures">
        <Figure
          label={t('quality.reporting')}
          value={formatNumber(domain.reporting, locale, 0)}
          tone="ok"
          testId="q-reporting"
        />
        <Figure
          label={t('quality.stale')}
          value={formatNumber(domain.stale, locale, 0)}
          tone={domain.stale > 0 ? 'warn' : undefined}
          testId="q-stale"
        />
        <Figure
          label={t('quality.silent')}
          value={formatNumber(domain.silent, locale, 0)}
          tone={domain.silent > 0 ? 'bad' : undefined}
          testId="q-silent"
        />
        <Figure
          label={t('quality.flagged')}
          value={formatNumber(domain.flagged, locale, 0)}
          tone={domain.flagged > 0 ? 'warn' : undefined}
          testId="q-flagged"
        />
        <Figure label={t('quality.rate')} value={formatNumber(domain.receivedPerMinute, locale, 1)} testId="q-rate" />
        <Figure label={t('quality.lag')} value={formatLag(domain.lagP95Ms, locale)} testId="q-lag" />
        <Figure
          label={t('quality.rejected')}
          value={formatNumber(domain.rejected, locale, 0)}
          tone={domain.rejected > 0 ? 'bad' : undefined}
          testId="q-rejected"
        />
      </dl>
      {domain.zones.length > 0 && (
        <>
          <h4 className="qdomain__sub">{t('quality.byWard')}</h4>
          <WardTable domain={domain} zones={zones} locale={locale} />
        </>
      )}
      <h4 className="qdomain__sub">{t('quality.rejects')}</h4>
      {domain.rejects.length === 0 ? (
        <p className="qdomain__none">{t('quality.noRejects')}</p>
      ) : (
        <ul className="qdomain__rejects">
          {domain.rejects.map((reject) => (
            <RejectRow key={reject.reason} reject={reject} locale={locale} />
          ))}
        </ul>
      )}
      <h4 className="qdomain__sub">{t('quality.worst')}</h4>
      {worst.length === 0 ? (
        <p className="qdomain__none">{t('quality.noEntities')}</p>
      ) : (
        <ul className="qdomain__entities">
          {worst.map((entity) => (
            <EntityRow key={entity.id} domain={domain.domain} entity={entity} locale={locale} onLocate={onLocate} />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * "Is our data correct, complete, clean and live?": per domain how many entities report, are stale or
 * silent, the rate and ingest lag, refusals by reason with examples, and the worst entities (a click
 * shows one on the map and opens the inspector). Refreshed every 10 s while open.
 */
export function QualityPage({
  store,
  zones,
  onLocated,
}: {
  store: EntityStore;
  /** The configured wards, to name and order the per-ward counts. */
  zones: readonly ZoneInfo[];
  onLocated: () => void;
}) {
  const locale = useLocale();
  const { data, error } = useRefreshed(fetchQuality, QUALITY_REFRESH_MS);
  const locate = (key: string) => {
    const entity = store.get(key);
    if (entity && entity.lat !== null && entity.lon !== null)
      focusRequest.set({ lon: entity.lon, lat: entity.lat, at: Date.now() });
    selection.set(key);
    onLocated();
  };
  return (
    <div className="quality" data-testid="quality-page">
      <p className="quality__question">{t('quality.question')}</p>
      <FormError error={error} />
      {data === null ? (
        error === null && <p className="quality__hint">{t('quality.loading')}</p>
      ) : (
        <>
          <p className="quality__hint" data-testid="quality-as-of">
            {t('quality.asOf', {
              time: formatCityTime(data.asOf, locale),
              minutes: formatNumber(data.windowMs / 60_000, locale, 0),
            })}
          </p>
          {data.domains.length === 0 && <p className="quality__hint">{t('quality.empty')}</p>}
          <div className="quality__domains">
            {data.domains.map((domain) => (
              <DomainCard key={domain.domain} domain={domain} zones={zones} locale={locale} onLocate={locate} />
            ))}
          </div>
        </>
      )}
    </div>
  );
}
