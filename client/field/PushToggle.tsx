import { useEffect, useState } from 'react';
import { failureText } from '../session/failure-text.js';
import { t } from '../i18n/i18n.js';
import { ft } from './field-messages.js';
import { pushStatus, turnOffPush, turnOnPush, type PushStatus } from './push.js';

/** "Turn on notifications": subscribes this phone through the Push API with the server's VAPID key. */
export function PushToggle() {
  const [status, setStatus] = useState<PushStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    void pushStatus().then(setStatus);
  }, []);
  if (status === null) return null;
  const change = (work: () => Promise<PushStatus>) => {
    setBusy(true);
    setError(null);
    work()
      .then(setStatus)
      .catch((err: unknown) => setError(err))
      .finally(() => setBusy(false));
  };
  return (
    <div className={`fpush fpush--${status}`} data-testid="push" data-status={status}>
      {status === 'off' && (
        <>
          <button type="button" className="fbtn fbtn--primary fbtn--wide" disabled={busy} onClick={() => change(turnOnPush)} data-testid="push-on">
            {ft('field.push.off')}
          </button>
          <p className="fnote">{ft('field.push.offHint')}</p>
        </>
      )}
      {status === 'on' && (
        <p className="fpush__on">
          <span>{ft('field.push.on')}</span>
          <button type="button" className="fbtn" disabled={busy} onClick={() => change(turnOffPush)} data-testid="push-off">
            {ft('field.push.turnOff')}
          </button>
        </p>
      )}
      {status === 'denied' && <p className="fnote">{ft('field.push.denied')}</p>}
      {status === 'unsupported' && <p className="fnote">{ft('field.push.unsupported')}</p>}
      {error !== null && (
        <p className="ferror" role="alert">
          {ft('field.push.failed', { message: error instanceof Error && !('status' in error) ? error.message : failureText(error, t) })}
        </p>
      )}
    </div>
  );
}
