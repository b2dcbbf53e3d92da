import { setLocale, t, useLocale } from '../i18n/i18n.js';
import { LOCALES } from '../i18n/messages.js';

/** VI / EN buttons; the choice is remembered by i18n. */
export function LanguageSwitch() {
  const locale = useLocale();
  return (
    <div className="lang" role="group" aria-label={t('lang.label')}>
      {LOCALES.map((code) => (
        <button
          key={code}
          type="button"
          className="lang__option"
          aria-pressed={code === locale}
          lang={code}
          title={t(`lang.${code}`)}
          onClick={() => setLocale(code)}
        >
          {code.toUpperCase()}
        </button>
      ))}
    </div>
  );
}
