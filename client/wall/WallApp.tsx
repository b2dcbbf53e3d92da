import { useEffect, useState } from 'react';
import type { ConsoleConfig } from '../../contract/api.js';
import { setLocale, t, useLocale } from '../i18n/i18n.js';
import { LOCALES, type Locale } from '../i18n/messages.js';
import { Wall } from './Wall.js';
import { loadWallConfig } from './wall-config.js';
import './wall.css';

/** `?lang=en` picks the language (and keeps it); otherwise the saved one, Vietnamese by default. */
function applyLanguageParam(): void {
  const lang = new URLSearchParams(window.location.search).get('lang');
  if (lang !== null && (LOCALES as readonly string[]).includes(lang)) setLocale(lang as Locale);
}

/** The wall display at `/wall`: waits for the server's configuration (forever), then runs the rotation. */
export function WallApp() {
  useState(applyLanguageParam);
  const locale = useLocale();
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  useEffect(() => {
    document.title = t('wall.title');
  }, [locale]);
  useEffect(() => {
    const abort = new AbortController();
    loadWallConfig(abort.signal, () => undefined).then(setConfig, () => undefined);
    return () => abort.abort();
  }, []);
  if (config === null) {
    return (
      <div className="wall wall--boot" data-testid="wall">
        <p className="wall__boot" role="status">
          {t('wall.connecting')}
        </p>
      </div>
    );
  }
  return <Wall config={config} />;
}
