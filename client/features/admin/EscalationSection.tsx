import { useCallback, useState, type FormEvent } from 'react';
import type { EscalationPolicyView } from '../../../contract/field.js';
import { useLocale } from '../../i18n/i18n.js';
import { call } from '../../live/http.js';
import { fieldAdminText } from './field-admin-messages.js';
import { FormError, ListStatus } from './FormError.js';
import { useList } from './use-list.js';

const EXAMPLE = {
  id: 'ngap-phuong',
  name: 'Ngập úng → cán bộ phường, sau 15 phút → trực ban',
  match: { kind: 'report', category: 'flooding' },
  autoAssign: 'zone',
  steps: [
    { after: '0s', notify: ['assignee', 'zone:field'] },
    { after: '15m', notify: ['role:supervisor'] },
  ],
};

const minutes = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 60_000)} min`);

/** Escalation policies: the list in match order, on/off, and a JSON editor for new or changed ones. */
export function EscalationSection() {
  const locale = useLocale();
  const load = useCallback(
    async () => (await call<{ policies: EscalationPolicyView[] }>('GET', '/escalation-policies')).policies,
    [],
  );
  const { items, error, reload } = useList(load);
  const [draft, setDraft] = useState(JSON.stringify(EXAMPLE, null, 2));
  const [editing, setEditing] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const save = (event: FormEvent) => {
    event.preventDefault();
    setActionError(null);
    let body: unknown;
    try {
      body = JSON.parse(draft);
    } catch (err) {
      setActionError(err);
      return;
    }
    setBusy(true);
    const request =
      editing === null
        ? call('POST', '/escalation-policies', { body })
        : call('PUT', `/escalation-policies/${encodeURIComponent(editing)}`, { body });
    request
      .then(() => {
        setEditing(null);
        reload();
      })
      .catch((err: unknown) => setActionError(err))
      .finally(() => setBusy(false));
  };
  const toggle = (policy: EscalationPolicyView) => {
    const { source: _source, ...rest } = policy;
    setActionError(null);
    call('PUT', `/escalation-policies/${encodeURIComponent(policy.id)}`, {
      body: { ...rest, enabled: !policy.enabled },
    })
      .then(reload)
      .catch((err: unknown) => setActionError(err));
  };
  const edit = (policy: EscalationPolicyView) => {
    const { source: _source, ...rest } = policy;
    setEditing(policy.id);
    setDraft(JSON.stringify(rest, null, 2));
  };

  return (
    <section className="admin__section" aria-labelledby="escalation-title" data-testid="admin-escalation">
      <header className="admin__head">
        <h3 id="escalation-title" className="admin__title">
          {fieldAdminText(locale, 'policies')}
        </h3>
      </header>
      <p className="admin__hint">{fieldAdminText(locale, 'policyHint')}</p>
      <ListStatus items={items} loadError={error} actionError={actionError} />
      {items !== null && items.length > 0 && (
        <table className="table" data-testid="escalation-policies">
          <thead>
            <tr>
              <th>ID</th>
              <th>{fieldAdminText(locale, 'match')}</th>
              <th>{fieldAdminText(locale, 'steps')}</th>
              <th>{fieldAdminText(locale, 'source')}</th>
              <th>{fieldAdminText(locale, 'enabled')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {items.map((policy) => (
              <tr key={policy.id}>
                <td className="mono">
                  {policy.id}
                  {policy.name ? <div className="admin__hint">{policy.name}</div> : null}
                </td>
                <td>
                  {Object.entries(policy.match)
                    .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join('/') : String(value)}`)
                    .join(' · ') || fieldAdminText(locale, 'all')}
                  {policy.autoAssign ? ` · ${fieldAdminText(locale, 'autoAssign')}` : ''}
                </td>
                <td>
                  <ol className="steps">
                    {policy.steps.map((step, index) => (
                      <li key={index}>
                        +{minutes(step.after)}: <span className="mono">{step.notify.join(', ')}</span>
                      </li>
                    ))}
                  </ol>
                </td>
                <td>{policy.source}</td>
                <td>{policy.enabled ? '✓' : '—'}</td>
                <td className="table__actions">
                  <button type="button" className="act" onClick={() => toggle(policy)}>
                    {policy.enabled ? fieldAdminText(locale, 'disable') : fieldAdminText(locale, 'enable')}
                  </button>
                  <button type="button" className="act" onClick={() => edit(policy)}>
                    {fieldAdminText(locale, 'edit')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="form" onSubmit={save} data-testid="escalation-form">
        <h4 className="form__title">
          {editing === null ? fieldAdminText(locale, 'newPolicy') : `${fieldAdminText(locale, 'edit')} ${editing}`}
        </h4>
        <textarea
          className="field mono policy-json"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          rows={14}
          spellCheck={false}
        />
        <FormError error={actionError} />
        <div className="form__buttons">
          <button type="submit" className="act act--primary" disabled={busy}>
            {fieldAdminText(locale, 'save')}
          </button>
        </div>
      </form>
    </section>
  );
}
