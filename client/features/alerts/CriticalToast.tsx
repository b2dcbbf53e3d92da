import type { Alert } from '../../../contract/alert.js';
import { t, useLocale } from '../../i18n/i18n.js';
import type { EntityStore } from '../../state/entity-store.js';
import { useObservable } from '../../ui/hooks.js';
import { entityLabel, ruleLabel } from './alert-labels.js';
import type { AlertsRuntime } from './alerts-runtime.js';

/** The flashing banner announcing a new critical alert, until dismissed, handled or timed out. */
export function CriticalToast({
  alerts,
  store,
  onShow,
}: {
  alerts: AlertsRuntime;
  store: EntityStore;
  onShow: (alert: Alert) => void;
}) {
  useLocale();
  const alert = useObservable(alerts.toast);
  const rules = useObservable(alerts.ruleNames);
  if (alert === null) return null;
  return (
    <div className="toast" role="alert" data-testid="critical-toast" key={alert.id}>
      <span className="toast__icon" aria-hidden="true">
        !
      </span>
      <span className="toast__text">
        <strong className="toast__title">{t('toast.critical')}</strong>
        <span>
          {ruleLabel(alert, rules)} · {entityLabel(alert, store)}
        </span>
      </span>
      <button type="button" className="act act--primary" onClick={() => onShow(alert)}>
        {t('toast.show')}
      </button>
      <button
        type="button"
        className="icon-button toast__close"
        aria-label={t('toast.dismiss')}
        onClick={() => alerts.toast.set(null)}
      >
        ×
      </button>
    </div>
  );
}
