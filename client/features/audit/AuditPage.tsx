import { useCallback, useState, type FormEvent } from 'react';
import { AuditActionSchema, type AuditEntry } from '../../../contract/identity.js';
import { formatCityTime, formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { call } from '../../live/http.js';
import { FormError } from '../admin/FormError.js';
import { useList } from '../admin/use-list.js';
import { auditQuery, detailsText, newestFirst, NO_FILTERS, type AuditFilters } from './audit-query.js';

const ACTIONS = AuditActionSchema.options;

async function fetchAudit(filters: AuditFilters): Promise<AuditEntry[]> {
  return newestFirst((await call<{ entries: AuditEntry[] }>('GET', `/audit?${auditQuery(filters)}`)).entries);
}

function Filters({ initial, onApply }: { initial: AuditFilters; onApply: (filters: AuditFilters) => void }) {
  useLocale();
  const [filters, setFilters] = useState(initial);
  const set = <K extends keyof AuditFilters>(key: K, value: AuditFilters[K]) =>
    setFilters((current) => ({ ...current, [key]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(filters);
  };
  return (
    <form className="form form--filters" onSubmit={submit} aria-label={t('audit.filters')} data-testid="audit-filters">
      <label className="form__field">
        <span>{t('audit.actor')}</span>
        <input
          className="field"
          value={filters.actor}
          onChange={(e) => set('actor', e.target.value)}
          data-testid="audit-actor"
        />
      </label>
      <label className="form__field">
        <span>{t('audit.action')}</span>
        <select
          className="field"
          value={filters.action}
          onChange={(e) => set('action', e.target.value as AuditFilters['action'])}
          data-testid="audit-action"
        >
          <option value="">{t('audit.anyAction')}</option>
          {ACTIONS.map((action) => (
            <option key={action} value={action}>
              {action}
            </option>
          ))}
        </select>
      </label>
      <label className="form__field">
        <span>{t('audit.from')}</span>
        <input
          className="field"
          type="datetime-local"
          value={filters.from}
          onChange={(e) => set('from', e.target.value)}
        />
      </label>
      <label className="form__field">
        <span>{t('audit.to')}</span>
        <input className="field" type="datetime-local" value={filters.to} onChange={(e) => set('to', e.target.value)} />
      </label>
      <div className="form__buttons">
        <button type="submit" className="act act--primary" data-testid="audit-apply">
          {t('audit.apply')}
        </button>
        <button
          type="button"
          className="act"
          onClick={() => {
            setFilters(NO_FILTERS);
            onApply(NO_FILTERS);
          }}
        >
          {t('audit.clear')}
        </button>
      </div>
    </form>
  );
}

/** The audit log, newest first, filtered by actor, action and time (Vietnam time); cards on phones. */
export function AuditPage() {
  const locale = useLocale();
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const load = useCallback(() => fetchAudit(filters), [filters]);
  const { items, error } = useList(load);
  return (
    <div className="admin audit">
      <Filters initial={filters} onApply={setFilters} />
      <FormError error={error} />
      {items === null && error === null && <p className="admin__hint">{t('admin.loading')}</p>}
      {items !== null && (
        <p className="admin__hint" data-testid="audit-count">
          {items.length === 0 ? t('audit.empty') : t('audit.count', { n: formatNumber(items.length, locale, 0) })}
        </p>
      )}
      {items !== null && items.length > 0 && (
        <table className="table" data-testid="audit-table">
          <thead>
            <tr>
              <th>{t('audit.at')}</th>
              <th>{t('audit.actor')}</th>
              <th>{t('audit.action')}</th>
              <th>{t('audit.target')}</th>
              <th>{t('audit.ip')}</th>
              <th>{t('audit.details')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((entry) => (
              <tr
                key={entry.id ?? `${entry.at}/${entry.actor}/${entry.action}/${entry.target}`}
                data-action={entry.action}
              >
                <td data-label={t('audit.at')} className="table__time">
                  {formatCityTime(entry.at, locale, true)}
                </td>
                <td data-label={t('audit.actor')}>{entry.actor}</td>
                <td data-label={t('audit.action')} className="mono">
                  <span className={`tag tag--action${entry.action === 'login_failed' ? ' tag--off' : ''}`}>
                    {entry.action}
                  </span>
                </td>
                <td data-label={t('audit.target')} className="mono">
                  {entry.target}
                </td>
                <td data-label={t('audit.ip')} className="mono">
                  {entry.ip}
                </td>
                <td data-label={t('audit.details')} className="table__details">
                  {detailsText(entry.details)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
