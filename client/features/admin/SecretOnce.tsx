import { useState } from 'react';
import { t, useLocale } from '../../i18n/i18n.js';

/** A secret the server shows once (token, device password): a warning, the value, a copy button and "done". */
export function SecretOnce({
  title,
  rows,
  onDone,
}: {
  title: string;
  rows: { label: string; value: string; secret?: boolean }[];
  onDone: () => void;
}) {
  useLocale();
  const [copied, setCopied] = useState<string | null>(null);
  const copy = (value: string) => {
    navigator.clipboard
      .writeText(value)
      .then(() => setCopied(value))
      .catch(() => setCopied(null));
  };
  return (
    <section className="secret" role="alert" data-testid="secret-once">
      <h4 className="secret__title">{title}</h4>
      <p className="secret__warning">⚠ {t('admin.showOnce')}</p>
      <dl className="secret__rows">
        {rows.map((row) => (
          <div key={row.label} className="secret__row">
            <dt>{row.label}</dt>
            <dd>
              <code className="secret__value mono" data-testid={row.secret ? 'secret-value' : undefined}>
                {row.value}
              </code>
              <button type="button" className="act" onClick={() => copy(row.value)}>
                {copied === row.value ? `✓ ${t('admin.copied')}` : t('admin.copy')}
              </button>
            </dd>
          </div>
        ))}
      </dl>
      <button type="button" className="act act--primary" onClick={onDone}>
        {t('admin.done')}
      </button>
    </section>
  );
}
