import { useEffect, useId, useState, type FormEvent } from 'react';
import type { AuthOptions } from '../../contract/identity.js';
import { t, useLocale } from '../i18n/i18n.js';
import { fetchAuthOptions, login } from '../session/auth-api.js';
import { loginFailureText } from '../session/failure-text.js';
import { signedIn } from '../session/session.js';
import { LanguageSwitch } from './LanguageSwitch.js';

const SSO_ERRORS = ['no_role', 'account_conflict', 'disabled', 'bad_username', 'unavailable', 'failed', 'bad_token'] as const;
type SsoError = (typeof SSO_ERRORS)[number];

/** Why single sign-on sent the browser back (`/?login_error=<code>`), once; the code leaves the URL. */
function takeSsoError(): SsoError | null {
  const url = new URL(window.location.href);
  const code = url.searchParams.get('login_error');
  if (code === null) return null;
  url.searchParams.delete('login_error');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  return (SSO_ERRORS as readonly string[]).includes(code) ? (code as SsoError) : 'failed';
}

/** Username and password (and single sign-on when the server offers it); `ended` adds the "session ended" notice. */
export function LoginPage({ ended }: { ended: boolean }) {
  useLocale();
  const id = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  // The failure itself, so its text follows a language switch.
  const [failure, setFailure] = useState<unknown>(null);
  const [options, setOptions] = useState<AuthOptions>({});
  const [ssoError] = useState(takeSsoError);

  useEffect(() => {
    let current = true;
    void fetchAuthOptions().then((answer) => {
      if (current) setOptions(answer);
    });
    return () => {
      current = false;
    };
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy || username.trim() === '' || password === '') return;
    setBusy(true);
    setFailure(null);
    login(username.trim(), password)
      .then(signedIn)
      .catch((err: unknown) => {
        setFailure(err);
        setPassword('');
        setBusy(false);
      });
  };

  return (
    <div className="login" data-testid="login">
      <div className="login__lang">
        <LanguageSwitch />
      </div>
      <main className="login__card panel">
        <div className="login__brand">
          <span className="brand__mark" aria-hidden="true">
            {t('app.short')}
          </span>
          <span className="brand__text">
            <span className="login__app">{t('app.title')}</span>
            <span className="brand__city">{t('app.city')}</span>
          </span>
        </div>
        <h1 className="login__title">{t('auth.title')}</h1>
        <p className="login__intro">{t('auth.intro')}</p>
        {ended && failure === null && (
          <p className="login__notice" role="status" data-testid="session-ended">
            {t('auth.ended')}
          </p>
        )}
        <form className="login__form" onSubmit={submit} noValidate>
          <label className="login__label" htmlFor={`${id}-user`}>
            {t('auth.username')}
          </label>
          <input
            id={`${id}-user`}
            className="field login__field"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            autoFocus
            required
            maxLength={128}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            data-testid="login-username"
          />
          <label className="login__label" htmlFor={`${id}-pass`}>
            {t('auth.password')}
          </label>
          <input
            id={`${id}-pass`}
            className="field login__field"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={256}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="login-password"
          />
          {failure === null && ssoError !== null && (
            <p className="login__error" role="alert" data-testid="login-error">
              {t(`sso.${ssoError}`)}
            </p>
          )}
          {failure !== null && (
            <p className="login__error" role="alert" data-testid="login-error">
              {loginFailureText(failure, t)}
            </p>
          )}
          <button
            type="submit"
            className="act act--primary login__submit"
            disabled={busy || username.trim() === '' || password === ''}
            data-testid="login-submit"
          >
            {busy ? t('auth.submitting') : t('auth.submit')}
          </button>
        </form>
        {options.oidc && (
          <>
            <p className="login__or">
              <span>{t('auth.or')}</span>
            </p>
            <a className="act login__sso" href={options.oidc.url} data-testid="login-sso">
              {t('auth.sso', { label: options.oidc.label })}
            </a>
          </>
        )}
      </main>
    </div>
  );
}
