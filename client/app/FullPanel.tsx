import { useEffect, useId, type ReactNode } from 'react';
import { t, useLocale } from '../i18n/i18n.js';

/** A full-screen page over the console (admin, audit); the console stays mounted and live behind it. Escape closes. */
export function FullPanel({
  title,
  onClose,
  testId,
  children,
}: {
  title: string;
  onClose: () => void;
  testId: string;
  children: ReactNode;
}) {
  useLocale();
  const titleId = useId();
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="fullpanel" role="dialog" aria-modal="true" aria-labelledby={titleId} data-testid={testId}>
      <header className="fullpanel__head">
        <h2 id={titleId} className="fullpanel__title">
          {title}
        </h2>
        <button type="button" className="head-button" onClick={onClose} data-testid="close-panel">
          <span aria-hidden="true">←</span>
          <span>{t('nav.back')}</span>
        </button>
      </header>
      <div className="fullpanel__body">{children}</div>
    </div>
  );
}
