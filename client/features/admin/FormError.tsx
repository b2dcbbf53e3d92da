import { t, useLocale } from '../../i18n/i18n.js';
import { failureText } from '../../session/failure-text.js';

/** The server's answer to a failed form or list call, next to it (400 messages name the bad key). */
export function FormError({ error }: { error: unknown }) {
  useLocale();
  if (error === null || error === undefined) return null;
  return (
    <p className="alert__error" role="alert" data-testid="admin-error">
      {failureText(error, t)}
    </p>
  );
}

/** Above an admin list: why loading or an action failed, "loading…" until the first answer, "none" when empty. */
export function ListStatus({
  items,
  loadError,
  actionError,
}: {
  items: readonly unknown[] | null;
  loadError: unknown;
  actionError: unknown;
}) {
  useLocale();
  return (
    <>
      <FormError error={loadError ?? actionError} />
      {items === null && loadError === null && <p className="admin__hint">{t('admin.loading')}</p>}
      {items?.length === 0 && <p className="admin__hint">{t('admin.none')}</p>}
    </>
  );
}
