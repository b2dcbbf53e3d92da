import { memo, useState } from 'react';
import type { Locale } from '../i18n/messages.js';
import type { FieldAction } from './action-store.js';
import type { FieldItem } from './field-items.js';
import { ft } from './field-messages.js';
import { UrgencyBadge, stateText, Whereabouts } from './ItemBits.js';
import { itemPath, navigate } from './route.js';
import { formatWhen } from './texts.js';

interface FieldRowProps {
  item: FieldItem;
  now: number;
  locale: Locale;
  zoneName: string | undefined;
  position: { lat: number; lon: number } | null;
  refused: boolean;
  /** Actions on this item still waiting to be sent. */
  pending: readonly FieldAction['op'][];
  /** Assigned to the signed-in officer (not only open in their zone). */
  mine: boolean;
  onAck: (item: FieldItem) => void;
}

/** One item in the list: what, how urgent, where, and "acknowledge" reachable in two taps (button, then confirm). */
export const FieldRow = memo(function FieldRow({ item, now, locale, zoneName, position, refused, pending, mine, onAck }: FieldRowProps) {
  const [confirming, setConfirming] = useState(false);
  const acked = item.acked || pending.includes('ack');
  const resolved = pending.includes('resolve');
  const open = () => navigate(itemPath(item.kind, item.id));
  return (
    <li
      className={`frow frow--${item.kind}${item.overdue ? ' frow--overdue' : ''} frow--${item.severity}${resolved ? ' frow--done' : ''}`}
      data-testid="field-row"
      data-key={item.key}
      data-state={item.state}
    >
      <button type="button" className="frow__main" onClick={open} data-testid="field-row-open">
        <span className="frow__top">
          <UrgencyBadge item={item} now={now} locale={locale} />
          <span className="frow__kind">{ft(`field.kind.${item.kind}`)}</span>
          {mine && (
            <span className="fbadge fbadge--mine" data-testid="mine">
              {ft('field.assignedToMe')}
            </span>
          )}
          <span className="frow__state">{stateText(item.state)}</span>
        </span>
        <span className="frow__title">{item.title}</span>
        <span className="frow__detail">{item.detail}</span>
        <span className="frow__meta">
          {zoneName ?? item.zone ?? ''} · {formatWhen(item.openedAt, locale)}
        </span>
      </button>
      <div className="frow__where-line">
        <Whereabouts item={item} position={position} refused={refused} locale={locale} />
      </div>
      {pending.length > 0 && (
        <p className="frow__pending" data-testid="row-pending">
          {resolved ? ft('field.pending.resolve') : pending.includes('ack') ? ft('field.pending.ack') : ft(`field.pending.${pending[0] ?? 'note'}`)}
        </p>
      )}
      {!acked && !resolved && !confirming && (
        <div className="frow__actions">
          <button type="button" className="fbtn fbtn--primary" onClick={() => setConfirming(true)} data-testid="ack">
            {ft('field.ack')}
          </button>
          <button type="button" className="fbtn" onClick={open}>
            {ft('field.open')}
          </button>
        </div>
      )}
      {confirming && !acked && (
        <div className="frow__confirm" role="group" aria-label={ft('field.ackQuestion')}>
          <span className="frow__question">{ft('field.ackQuestion')}</span>
          <button
            type="button"
            className="fbtn fbtn--primary"
            onClick={() => {
              setConfirming(false);
              onAck(item);
            }}
            data-testid="ack-confirm"
          >
            {ft('field.confirm')}
          </button>
          <button type="button" className="fbtn" onClick={() => setConfirming(false)}>
            {ft('field.cancel')}
          </button>
        </div>
      )}
    </li>
  );
});
