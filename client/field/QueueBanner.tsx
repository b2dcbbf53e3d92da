import { useObservable } from '../ui/hooks.js';
import type { FailedAction } from './action-store.js';
import { ft } from './field-messages.js';
import type { OfflineQueue } from './offline-queue.js';

function failureLine(failed: FailedAction): string {
  const error = failed.status === 409 ? ft('field.queue.conflict', { message: failed.error }) : `${failed.status} ${failed.error}`;
  return ft('field.queue.failed', { what: ft(`field.op.${failed.op}`), item: failed.title, error });
}

/** The queue at a glance: offline, how many actions wait, and each one the server refused. */
export function QueueBanner({ queue, persistent }: { queue: OfflineQueue; persistent: boolean }) {
  const state = useObservable(queue.state);
  const waiting = state.pending.length;
  return (
    <div className="fqueue" aria-live="polite">
      {!state.online && (
        <p className="fqueue__offline" data-testid="offline">
          {ft('field.queue.offline')}
        </p>
      )}
      {waiting > 0 && (
        <div className="fqueue__waiting" data-testid="queue-waiting" data-count={waiting}>
          <span>{state.sending ? ft('field.queue.sending', { n: waiting }) : ft('field.queue.waiting', { n: waiting })}</span>
          {state.online && !state.sending && (
            <button type="button" className="fbtn" onClick={() => void queue.flush()}>
              {ft('field.queue.retry')}
            </button>
          )}
        </div>
      )}
      {waiting > 0 && !persistent && <p className="fqueue__memory">{ft('field.queue.memory')}</p>}
      {state.failed.map((failed) => (
        <div key={failed.seq} className="fqueue__failed" role="alert" data-testid="queue-failed" data-status={failed.status}>
          <span>{failureLine(failed)}</span>
          <button type="button" className="fbtn" onClick={() => void queue.dismiss(failed.seq)}>
            {ft('field.queue.dismiss')}
          </button>
        </div>
      ))}
    </div>
  );
}
