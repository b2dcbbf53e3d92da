import { useState, type FormEvent } from 'react';
import { ROLES, type User } from '../../../contract/identity.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { createUser, updateUser } from './admin-api.js';
import { EMPTY_USER_FORM, toggleIn, userCreateBody, userPatchBody, userToForm, type UserForm } from './admin-forms.js';
import { FormError } from './FormError.js';

/** Creates a user (no `user`) or edits one: roles, zones, contacts, disabled; a password only on creation. */
export function UserEditor({ user, onSaved, onCancel }: { user?: User; onSaved: () => void; onCancel: () => void }) {
  useLocale();
  const [form, setForm] = useState<UserForm>(() => (user ? userToForm(user) : EMPTY_USER_FORM));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const set = <K extends keyof UserForm>(key: K, value: UserForm[K]) =>
    setForm((current) => ({ ...current, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const saving = user ? updateUser(user.username, userPatchBody(user, form)) : createUser(userCreateBody(form));
    saving
      .then(onSaved)
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };

  const text = (key: 'username' | 'displayName' | 'password' | 'email' | 'phone', label: string, type = 'text') => (
    <label className="form__field">
      <span>{label}</span>
      <input
        className="field"
        type={type}
        value={form[key]}
        onChange={(e) => set(key, e.target.value)}
        readOnly={key === 'username' && user !== undefined}
        autoComplete={key === 'password' ? 'new-password' : 'off'}
        data-testid={`user-${key}`}
      />
    </label>
  );

  return (
    <form className="form" onSubmit={submit} data-testid="user-form">
      <h4 className="form__title">{user ? t('user.editing', { name: user.username }) : t('user.new')}</h4>
      <div className="form__grid">
        {text('username', t('user.username'))}
        {text('displayName', t('user.displayName'))}
        {!user && text('password', t('user.password'), 'password')}
        {text('email', t('user.email'), 'email')}
        {text('phone', t('user.phone'), 'tel')}
        <label className="form__field">
          <span>{t('user.zonesHint')}</span>
          <input
            className="field"
            value={form.zones}
            onChange={(e) => set('zones', e.target.value)}
            data-testid="user-zones"
          />
        </label>
      </div>
      <fieldset className="form__choices">
        <legend>{t('user.roles')}</legend>
        {ROLES.map((role) => (
          <label key={role} className="choice">
            <input
              type="checkbox"
              checked={form.roles.includes(role)}
              onChange={() => set('roles', toggleIn(ROLES, form.roles, role))}
              data-testid={`role-${role}`}
            />
            {t(`role.${role}`)}
          </label>
        ))}
      </fieldset>
      <label className="choice">
        <input type="checkbox" checked={form.disabled} onChange={(e) => set('disabled', e.target.checked)} />
        {t('user.disabled')}
      </label>
      <FormError error={error} />
      <div className="form__buttons">
        <button type="submit" className="act act--primary" disabled={busy} data-testid="user-save">
          {busy ? t('admin.creating') : user ? t('admin.save') : t('admin.create')}
        </button>
        <button type="button" className="act" onClick={onCancel}>
          {t('admin.cancel')}
        </button>
      </div>
    </form>
  );
}

/** Sets a new password for `user` (the server checks its length). */
export function PasswordReset({ user }: { user: User }) {
  useLocale();
  const [password, setPassword] = useState('');
  const [state, setState] = useState<'idle' | 'busy' | 'done'>('idle');
  const [error, setError] = useState<unknown>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setState('busy');
    setError(null);
    updateUser(user.username, { password })
      .then(() => {
        setPassword('');
        setState('done');
      })
      .catch((err: unknown) => {
        setError(err);
        setState('idle');
      });
  };
  return (
    <form className="form form--inline" onSubmit={submit}>
      <label className="form__field">
        <span>{t('user.newPassword')}</span>
        <input
          className="field"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
            setState('idle');
          }}
        />
      </label>
      <button type="submit" className="act" disabled={state === 'busy' || password === ''}>
        {t('user.resetPassword')}
      </button>
      {state === 'done' && <span className="rules__saved">✓ {t('admin.saved')}</span>}
      <FormError error={error} />
    </form>
  );
}
