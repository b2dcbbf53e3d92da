import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { ReportCategoryInfo, ReportStatus, ReportTrack } from '../../contract/field.js';
import { useLocale } from '../i18n/i18n.js';
import { ApiFailure } from '../live/http.js';
import { formatWhen } from '../field/texts.js';
import { fetchCategories, rateReport, trackReport } from './report-api.js';
import { rt } from './report-messages.js';

/** The steps a report goes through, in order; a rejected one ends after "received" or wherever it stopped. */
const STEPS: ReportStatus[] = ['received', 'assigned', 'in_progress', 'resolved'];

function Timeline({ track }: { track: ReportTrack }) {
  const steps: ReportStatus[] = track.status === 'rejected' ? ['received', 'rejected'] : STEPS;
  const reached = steps.indexOf(track.status);
  return (
    <ol className="rtimeline" data-testid="track-timeline">
      {steps.map((step, i) => (
        <li
          key={step}
          className={`rtimeline__step${i <= reached ? ' rtimeline__step--done' : ''}${i === reached ? ' rtimeline__step--now' : ''}`}
          aria-current={i === reached ? 'step' : undefined}
        >
          {rt(`track.status.${step}`)}
        </li>
      ))}
    </ol>
  );
}

function Rating({ track, onRated }: { track: ReportTrack; onRated: (t: ReportTrack) => void }) {
  const id = useId();
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (score === 0 || busy) return;
    setBusy(true);
    setError(null);
    rateReport(track.code, score, comment)
      .then(onRated)
      .catch((err: unknown) => setError(rt('track.ratingFailed', { message: (err as Error).message })))
      .finally(() => setBusy(false));
  };
  return (
    <form className="fcard" onSubmit={submit} data-testid="rating-form">
      <p className="fcard__title">{rt('track.rate')}</p>
      <div className="rstars" role="radiogroup" aria-label={rt('track.rate')}>
        {[1, 2, 3, 4, 5].map((n) => (
          <button
            key={n}
            type="button"
            role="radio"
            aria-checked={score === n}
            aria-label={rt('track.star', { n })}
            className={`rstar${n <= score ? ' rstar--on' : ''}`}
            onClick={() => setScore(n)}
            data-testid={`star-${n}`}
          >
            ★
          </button>
        ))}
      </div>
      <label className="rlabel" htmlFor={`${id}-comment`}>
        {rt('track.comment')}
      </label>
      <textarea
        id={`${id}-comment`}
        className="finput"
        rows={3}
        maxLength={1000}
        value={comment}
        onChange={(e) => setComment(e.target.value)}
        data-testid="rating-comment"
      />
      {error !== null && (
        <p className="ferror" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="fbtn fbtn--primary fbtn--wide" disabled={score === 0 || busy} data-testid="rating-submit">
        {rt('track.sendRating')}
      </button>
    </form>
  );
}

/** The public tracking page: status timeline, deadline, result, and a rating once it is closed. */
export function TrackPage({ code }: { code: string | null }) {
  const locale = useLocale();
  const id = useId();
  const [input, setInput] = useState(code ?? '');
  const [track, setTrack] = useState<ReportTrack | null>(null);
  const [categories, setCategories] = useState<ReportCategoryInfo[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const load = useCallback((wanted: string) => {
    setLoading(true);
    setError(null);
    trackReport(wanted)
      .then(setTrack)
      .catch((err: unknown) => {
        setTrack(null);
        setError(err instanceof ApiFailure && err.status === 404 ? rt('track.notFound', { code: wanted }) : (err as Error).message);
      })
      .finally(() => setLoading(false));
  }, []);

  useEffect(() => {
    void fetchCategories()
      .then(setCategories)
      .catch(() => undefined);
    if (code !== null) load(code);
  }, [code, load]);

  const find = (event: FormEvent) => {
    event.preventDefault();
    const wanted = input.trim();
    if (wanted === '') return;
    window.history.pushState(null, '', `/report/track/${encodeURIComponent(wanted)}`);
    load(wanted);
  };

  const categoryName = track ? (categories.find((c) => c.id === track.category)?.name[locale] ?? track.category) : '';
  return (
    <div className="rtrack" data-testid="track-page">
      <form className="rfind" onSubmit={find}>
        <label className="rlabel" htmlFor={`${id}-code`}>
          {rt('track.codeInput')}
        </label>
        <div className="rfind__row">
          <input
            id={`${id}-code`}
            className="finput"
            value={input}
            autoCapitalize="characters"
            spellCheck={false}
            onChange={(e) => setInput(e.target.value)}
            data-testid="track-code-input"
          />
          <button type="submit" className="fbtn fbtn--primary">
            {rt('track.find')}
          </button>
        </div>
      </form>
      {loading && <p className="fnote">{rt('track.loading')}</p>}
      {error !== null && (
        <p className="ferror" role="alert" data-testid="track-error">
          {error}
        </p>
      )}
      {track !== null && (
        <>
          <section className="fcard" data-testid="track-report" data-status={track.status}>
            <p className="rdone__label">{rt('report.codeLabel')}</p>
            <p className="rdone__code rdone__code--small" data-testid="track-code">
              {track.code}
            </p>
            <p className="rtrack__status" data-testid="track-status">
              {rt(`track.status.${track.status}`)}
            </p>
            <Timeline track={track} />
            <ul className="fpage__facts">
              <li>{rt('track.category', { name: categoryName })}</li>
              <li>{rt('track.created', { time: formatWhen(track.createdAt, locale) })}</li>
              <li>{rt('track.updated', { time: formatWhen(track.updatedAt, locale) })}</li>
              <li>{rt('track.deadline', { time: formatWhen(track.deadline, locale) })}</li>
              {track.resolvedAt !== undefined && <li>{rt('track.resolvedAt', { time: formatWhen(track.resolvedAt, locale) })}</li>}
            </ul>
            {track.overdue && (
              <p className="ferror" data-testid="track-overdue">
                {rt('track.overdue')}
              </p>
            )}
            {track.result !== undefined && (
              <div className="rresult">
                <p className="fcard__title">{rt('track.result')}</p>
                <p data-testid="track-result">{track.result}</p>
              </div>
            )}
          </section>
          {track.rating !== undefined && (
            <p className="fcard rrated" data-testid="track-rated">
              {'★'.repeat(track.rating.score)}
              {'☆'.repeat(5 - track.rating.score)} {rt('track.rated', { n: track.rating.score })}
            </p>
          )}
          {track.canRate && <Rating track={track} onRated={setTrack} />}
        </>
      )}
      <a className="fbtn fbtn--wide" href="/report">
        {rt('track.new')}
      </a>
    </div>
  );
}
