import { useState, type FormEvent } from 'react';
import { TokenScopeSchema, type TokenCreated, type TokenInfo, type TokenScope } from '../../../contract/identity.js';
import { formatCityTime } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { createToken, fetchTokens, revokeToken } from './admin-api.js';
import { tokenCreateBody, toggleIn } from './admin-forms.js';
import { FormError, ListStatus } from './FormError.js';
import { SecretOnce } from './SecretOnce.js';
import { useList } from './use-list.js';

const SCOPES = TokenScopeSchema.options;

function TokenForm({ onCreated }: { onCreated: (token: TokenCreated) => void }) {
  useLocale();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<TokenScope[]>(['read']);
  const [expires, setExpires] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    createToken(tokenCreateBody(name, scopes, expires))
      .then((created) => {
        setName('');
        setExpires('');
        onCreated(created);
      })
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };
  return (
    <form className="form" onSubmit={submit} data-testid="token-form">
      <h4 className="form__title">{t('token.new')}</h4>
      <div className="form__grid">
        <label className="form__field">
          <span>{t('token.name')}</span>
          <input
            className="field"
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={128}
            data-testid="token-name"
          />
        </label>
        <label className="form__field">
          <span>{t('token.expiresAt')}</span>
          <input className="field" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </label>
      </div>
      <fieldset className="form__choices">
        <legend>{t('token.scopes')}</legend>
        {SCOPES.map((scope) => (
          <label key={scope} className="choice mono">
            <input
              type="checkbox"
              checked={scopes.includes(scope)}
              onChange={() => setScopes(toggleIn(SCOPES, scopes, scope))}
            />
            {scope}
          </label>
        ))}
      </fieldset>
      <FormError error={error} />
      <div className="form__buttons">
        <button type="submit" className="act act--primary" disabled={busy} data-testid="token-create">
          {busy ? t('admin.creating') : t('admin.create')}
        </button>
      </div>
    </form>
  );
}

/** API tokens: the list, a form (name, scopes, optional expiry) whose secret is shown once, and revoke. */
export function TokensSection() {
  const locale = useLocale();
  const { items, error, reload } = useList(fetchTokens);
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const revoke = (token: TokenInfo) => {
    if (!window.confirm(t('admin.confirmDelete', { name: token.name }))) return;
    setActionError(null);
    revokeToken(token.id)
      .then(reload)
      .catch((err: unknown) => setActionError(err));
  };
  const when = (ms: number | undefined, none: string) => (ms === undefined ? none : formatCityTime(ms, locale, true));

  return (
    <section className="admin__section" aria-labelledby="tokens-title" data-testid="admin-tokens">
      <header className="admin__head">
        <h3 id="tokens-title" className="admin__title">
          {t('admin.tokens')}
        </h3>
      </header>
      {created ? (
        <SecretOnce
          title={t('token.created', { name: created.name })}
          rows={[{ label: 'Authorization: Bearer', value: created.token, secret: true }]}
          onDone={() => setCreated(null)}
        />
      ) : (
        <TokenForm
          onCreated={(token) => {
            setCreated(token);
            reload();
          }}
        />
      )}
      <ListStatus items={items} loadError={error} actionError={actionError} />
      {items !== null && items.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>{t('token.name')}</th>
              <th>{t('token.scopes')}</th>
              <th>{t('token.createdBy')}</th>
              <th>{t('token.expires')}</th>
              <th>{t('token.lastUsed')}</th>
              <th aria-label={t('alerts.actions')} />
            </tr>
          </thead>
          <tbody>
            {items.map((token) => (
              <tr key={token.id}>
                <td data-label={t('token.name')}>{token.name}</td>
                <td data-label={t('token.scopes')} className="mono">
                  {token.scopes.join(', ')}
                </td>
                <td data-label={t('token.createdBy')}>{token.createdBy}</td>
                <td data-label={t('token.expires')}>{when(token.expiresAt, t('token.never'))}</td>
                <td data-label={t('token.lastUsed')}>{when(token.lastUsedAt, t('user.never'))}</td>
                <td className="table__actions">
                  <button type="button" className="act" onClick={() => revoke(token)}>
                    {t('token.revoke')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
