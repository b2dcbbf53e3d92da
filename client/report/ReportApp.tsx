import { useEffect, useState } from 'react';
import type { ReportCreated } from '../../contract/field.js';
import { LanguageSwitch } from '../app/LanguageSwitch.js';
import { useLocale } from '../i18n/i18n.js';
import { ReportFiled, ReportForm } from './ReportForm.js';
import { rt } from './report-messages.js';
import { TrackPage } from './TrackPage.js';

/** `/report/track/<code>` → the code; `/report/track` → '' (ask for it); anything else → null (the form). */
function trackCode(pathname: string): string | null {
  const match = /^\/report\/track(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!match) return null;
  return match[1] === undefined ? '' : decodeURIComponent(match[1]);
}

/** The public pages: file a report, or follow one by its code. No account, Vietnamese by default. */
export function ReportApp() {
  const locale = useLocale();
  const [path, setPath] = useState(window.location.pathname);
  const [created, setCreated] = useState<ReportCreated | null>(null);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const code = trackCode(path);
  useEffect(() => {
    document.title = `${code === null ? rt('report.title') : rt('track.title')} · ${rt('report.city')}`;
  }, [code, locale]);
  return (
    <div className="fapp">
      <header className="fbar">
        <span className="fbar__brand">
          <span className="fbar__title">{code === null ? rt('report.title') : rt('track.title')}</span>
          <span className="fbar__who">{rt('report.city')}</span>
        </span>
        <LanguageSwitch />
      </header>
      <main className="fpage">
        {code !== null ? (
          <TrackPage code={code === '' ? null : code} />
        ) : created !== null ? (
          <ReportFiled created={created} onAnother={() => setCreated(null)} />
        ) : (
          <ReportForm
            onFiled={(answer) => {
              setCreated(answer);
              window.scrollTo(0, 0);
            }}
          />
        )}
      </main>
    </div>
  );
}
