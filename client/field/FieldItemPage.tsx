import { useEffect, useId, useMemo, useState, type ChangeEvent, type FormEvent } from 'react';
import type { Locale } from '../i18n/messages.js';
import type { FieldAction, StoredAction } from './action-store.js';
import type { FieldItem } from './field-items.js';
import { ft, isFieldKey } from './field-messages.js';
import { UrgencyBadge, stateText, Whereabouts } from './ItemBits.js';
import { navigate } from './route.js';
import { formatWhen } from './texts.js';
import { photoProblem } from './photos.js';

interface FieldItemPageProps {
  item: FieldItem | null;
  /** Still looking for it (not in my open list: fetched on its own). */
  loading: boolean;
  now: number;
  locale: Locale;
  zoneName: string | undefined;
  position: { lat: number; lon: number } | null;
  refused: boolean;
  /** This item's actions waiting to be sent, oldest first. */
  pending: readonly StoredAction[];
  act: (action: FieldAction) => Promise<void>;
}

/** Previews of photos still in the queue (object URLs, revoked when they leave). */
function usePendingPhotos(pending: readonly StoredAction[]): { seq: number; url: string }[] {
  const photos = useMemo(
    () => pending.flatMap((a) => (a.op === 'photo' ? [{ seq: a.seq, url: URL.createObjectURL(a.photo) }] : [])),
    [pending],
  );
  useEffect(() => () => photos.forEach((p) => URL.revokeObjectURL(p.url)), [photos]);
  return photos;
}

function historyText(action: string, step?: number): string {
  // A policy's first step only tells people; later steps are the climb.
  if (action === 'escalate' && step !== undefined)
    return ft(step === 1 ? 'field.action.notified' : 'field.action.escalatedStep', { step });
  const key = `field.action.${action}`;
  return isFieldKey(key) ? ft(key) : action;
}

/** One item: where it is, what happened, and acknowledge, note, photos and resolve. */
export function FieldItemPage({
  item,
  loading,
  now,
  locale,
  zoneName,
  position,
  refused,
  pending,
  act,
}: FieldItemPageProps) {
  const id = useId();
  const [ackConfirm, setAckConfirm] = useState(false);
  const [note, setNote] = useState('');
  const [result, setResult] = useState('');
  const [resolveConfirm, setResolveConfirm] = useState(false);
  const [photoError, setPhotoError] = useState<string | null>(null);
  const photos = usePendingPhotos(pending);
  const ops = pending.map((a) => a.op);

  if (!item) {
    return (
      <main className="fpage">
        <button type="button" className="fbtn fbtn--back" onClick={() => navigate('/field')}>
          ‹ {ft('field.back')}
        </button>
        <p className="fnote">{loading ? ft('field.loading') : ft('field.notFound')}</p>
      </main>
    );
  }

  const base = { kind: item.kind, itemId: item.id, title: item.title };
  const acked = item.acked || ops.includes('ack');
  const closed = !item.open || ops.includes('resolve');

  const sendNote = (event: FormEvent) => {
    event.preventDefault();
    if (note.trim() === '') return;
    void act({ ...base, op: 'note', text: note.trim() }).then(() => setNote(''));
  };
  const resolve = () => {
    if (result.trim() === '') return;
    setResolveConfirm(false);
    void act({ ...base, op: 'resolve', result: result.trim() }).then(() => setResult(''));
  };
  const addPhotos = (event: ChangeEvent<HTMLInputElement>) => {
    const files = [...(event.target.files ?? [])];
    event.target.value = '';
    setPhotoError(null);
    for (const file of files) {
      const problem = photoProblem(file);
      if (problem !== null) {
        setPhotoError(ft(problem === 'type' ? 'field.photoType' : 'field.photoTooBig', { name: file.name }));
        continue;
      }
      void act({ ...base, op: 'photo', photo: file, name: file.name });
    }
  };

  return (
    <main className="fpage" data-testid="field-item" data-key={item.key} data-state={item.state}>
      <button type="button" className="fbtn fbtn--back" onClick={() => navigate('/field')} data-testid="back">
        ‹ {ft('field.back')}
      </button>
      <section className="fcard">
        <p className="frow__top">
          <UrgencyBadge item={item} now={now} locale={locale} />
          <span className="frow__kind">{ft(`field.kind.${item.kind}`)}</span>
          <span className="frow__state" data-testid="item-state">
            {stateText(item.state)}
          </span>
        </p>
        <h1 className="fpage__title">{item.title}</h1>
        <p className="fpage__detail">{item.kind === 'alert' ? ft('field.entity', { id: item.detail }) : item.detail}</p>
        <ul className="fpage__facts">
          <li>{ft('field.zone', { zone: zoneName ?? item.zone ?? '—' })}</li>
          <li>{ft('field.opened', { time: formatWhen(item.openedAt, locale) })}</li>
          {item.deadline !== undefined && <li>{ft('field.deadline', { time: formatWhen(item.deadline, locale) })}</li>}
          {item.assignee !== undefined && <li>{ft('field.assignedTo', { name: item.assignee })}</li>}
          {item.result !== undefined && (
            <li data-testid="item-result">{ft('field.result', { result: item.result })}</li>
          )}
        </ul>
        <div className="frow__where-line">
          <Whereabouts item={item} position={position} refused={refused} locale={locale} />
        </div>
        {ops.length > 0 && (
          <ul className="fpage__pending" data-testid="item-pending">
            {pending.map((a) => (
              <li key={a.seq}>{ft(`field.pending.${a.op}`)}</li>
            ))}
          </ul>
        )}
        {!acked && !closed && !ackConfirm && (
          <button
            type="button"
            className="fbtn fbtn--primary fbtn--wide"
            onClick={() => setAckConfirm(true)}
            data-testid="ack"
          >
            {ft('field.ack')}
          </button>
        )}
        {!acked && !closed && ackConfirm && (
          <div className="frow__confirm">
            <span className="frow__question">{ft('field.ackQuestion')}</span>
            <button
              type="button"
              className="fbtn fbtn--primary"
              data-testid="ack-confirm"
              onClick={() => {
                setAckConfirm(false);
                void act({ ...base, op: 'ack' });
              }}
            >
              {ft('field.confirm')}
            </button>
            <button type="button" className="fbtn" onClick={() => setAckConfirm(false)}>
              {ft('field.cancel')}
            </button>
          </div>
        )}
      </section>

      <section className="fcard">
        <h2 className="fcard__title">{ft('field.photos')}</h2>
        {item.attachments.length === 0 && photos.length === 0 && <p className="fnote">{ft('field.noPhotos')}</p>}
        <div className="fphotos" data-testid="photos">
          {item.attachments.map((a) => (
            <a key={a.id} href={`${a.url}${a.url.includes('?') ? '&' : '?'}original=1`} target="_blank" rel="noopener">
              <img className="fphoto" src={a.url} alt={ft('field.photos')} loading="lazy" data-testid="photo" />
            </a>
          ))}
          {photos.map((p) => (
            <span key={p.seq} className="fphoto-wrap fphoto-wrap--pending">
              <img className="fphoto" src={p.url} alt={ft('field.pending.photo')} data-testid="photo-pending" />
            </span>
          ))}
        </div>
        {photoError !== null && (
          <p className="ferror" role="alert">
            {photoError}
          </p>
        )}
        {!closed && (
          <label className="fbtn fbtn--wide fbtn--file">
            {ft('field.addPhoto')}
            <input
              type="file"
              accept="image/*"
              capture="environment"
              multiple
              onChange={addPhotos}
              data-testid="photo-input"
            />
          </label>
        )}
      </section>

      {!closed && (
        <section className="fcard">
          <form onSubmit={sendNote}>
            <label className="fcard__title" htmlFor={`${id}-note`}>
              {ft('field.note')}
            </label>
            <textarea
              id={`${id}-note`}
              className="finput"
              rows={3}
              maxLength={2000}
              placeholder={ft('field.notePlaceholder')}
              value={note}
              onChange={(e) => setNote(e.target.value)}
              data-testid="note-input"
            />
            <button type="submit" className="fbtn fbtn--wide" disabled={note.trim() === ''} data-testid="note-send">
              {ft('field.sendNote')}
            </button>
          </form>
        </section>
      )}

      {!closed ? (
        <section className="fcard">
          <label className="fcard__title" htmlFor={`${id}-result`}>
            {ft('field.resultLabel')}
          </label>
          <textarea
            id={`${id}-result`}
            className="finput"
            rows={3}
            maxLength={2000}
            placeholder={ft('field.resultPlaceholder')}
            value={result}
            onChange={(e) => setResult(e.target.value)}
            data-testid="result-input"
          />
          {!resolveConfirm ? (
            <button
              type="button"
              className="fbtn fbtn--ok fbtn--wide"
              disabled={result.trim() === ''}
              onClick={() => setResolveConfirm(true)}
              data-testid="resolve"
            >
              {ft('field.resolve')}
            </button>
          ) : (
            <div className="frow__confirm">
              <span className="frow__question">{ft('field.resolveQuestion')}</span>
              <button type="button" className="fbtn fbtn--ok" onClick={resolve} data-testid="resolve-confirm">
                {ft('field.confirm')}
              </button>
              <button type="button" className="fbtn" onClick={() => setResolveConfirm(false)}>
                {ft('field.cancel')}
              </button>
            </div>
          )}
        </section>
      ) : (
        <p className="fnote" data-testid="closed">
          {ft('field.closed')}
        </p>
      )}

      {item.history.length > 0 && (
        <section className="fcard">
          <h2 className="fcard__title">{ft('field.history')}</h2>
          <ol className="fhistory">
            {[...item.history].reverse().map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <span className="fhistory__when">{formatWhen(e.at, locale)}</span>
                <span className="fhistory__what">
                  {historyText(e.action, e.step)} · {e.by}
                </span>
                {/* An attach event's note is the photo's id, shown above as the photo itself. */}
                {e.note !== undefined && e.action !== 'attach' && <span className="fhistory__note">{e.note}</span>}
              </li>
            ))}
          </ol>
        </section>
      )}
    </main>
  );
}
