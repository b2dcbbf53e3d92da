import { useEffect, useId, useMemo, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import type { ReportCategoryInfo, ReportCreate, ReportCreated } from '../../contract/field.js';
import { useLocale } from '../i18n/i18n.js';
import { ApiFailure } from '../live/http.js';
import { photoProblem } from '../field/photos.js';
import { formatWhen } from '../field/texts.js';
import { fetchCategories, fileReport } from './report-api.js';
import { rt } from './report-messages.js';
import { PlacePicker, wardName, type PickedPlace } from './PlacePicker.js';

/** Photos one report may carry (the server's default `reports.maxPhotos`; it refuses more with the reason). */
const MAX_PHOTOS = 5;

/** A failed filing as a citizen reads it: the wait after too many reports, what was invalid, or what went wrong. */
export function filingFailureText(err: unknown): string {
  if (err instanceof ApiFailure && err.status === 429) {
    return err.retryAfterS === undefined
      ? rt('report.tooManyLater')
      : rt('report.tooMany', { n: Math.max(1, Math.ceil(err.retryAfterS / 60)) });
  }
  if (err instanceof ApiFailure && err.status === 400) {
    const details = err.issues.length > 0 ? err.issues.map((i) => `${i.path}: ${i.message}`).join('; ') : err.message;
    return rt('report.invalid', { details });
  }
  return rt('report.failed', { message: (err as Error).message });
}

/** Where the report is: the phone's location (with its accuracy) or a point picked on the map. */
type Place = { from: 'phone'; lat: number; lon: number; accuracy: number } | ({ from: 'map' } & PickedPlace);

/** The report form: category, description, photos, the place (phone's location or the map), optional contact; answers the tracking code. */
export function ReportForm({ onFiled }: { onFiled: (created: ReportCreated) => void }) {
  const locale = useLocale();
  const id = useId();
  const [categories, setCategories] = useState<ReportCategoryInfo[] | null>(null);
  const [category, setCategory] = useState('');
  const [description, setDescription] = useState('');
  const [photos, setPhotos] = useState<File[]>([]);
  const [photoError, setPhotoError] = useState<string | null>(null);
  const [place, setPlace] = useState<Place | null>(null);
  const [locating, setLocating] = useState(false);
  const [placeError, setPlaceError] = useState<string | null>(null);
  const [picking, setPicking] = useState(false);
  const pickButton = useRef<HTMLButtonElement>(null);
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const [tried, setTried] = useState(false);

  useEffect(() => {
    void fetchCategories()
      .then(setCategories)
      .catch((err: unknown) => setFailure(err));
  }, []);

  const previews = useMemo(() => photos.map((file) => ({ file, url: URL.createObjectURL(file) })), [photos]);
  useEffect(() => () => previews.forEach((p) => URL.revokeObjectURL(p.url)), [previews]);

  const locate = () => {
    setLocating(true);
    setPlaceError(null);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setPlace({ from: 'phone', lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy });
        setLocating(false);
      },
      (err) => {
        setPlaceError(rt('report.locationDenied', { message: err.message }));
        setLocating(false);
      },
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 30_000 },
    );
  };

  const addPhotos = (event: ChangeEvent<HTMLInputElement>) => {
    const files = [...(event.target.files ?? [])];
    event.target.value = '';
    setPhotoError(null);
    const accepted: File[] = [];
    for (const file of files) {
      const problem = photoProblem(file);
      if (problem === null) accepted.push(file);
      else setPhotoError(rt(problem === 'type' ? 'report.photoType' : 'report.photoSize', { name: file.name }));
    }
    setPhotos((current) => [...current, ...accepted].slice(0, MAX_PHOTOS));
  };

  const missing = [
    ...(category === '' ? [rt('report.missing.category')] : []),
    ...(description.trim().length < 3 ? [rt('report.missing.description')] : []),
    ...(place === null ? [rt('report.missing.place')] : []),
  ];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (busy || missing.length > 0 || place === null) return;
    const contact = {
      ...(name.trim() !== '' ? { name: name.trim() } : {}),
      ...(phone.trim() !== '' ? { phone: phone.trim() } : {}),
    };
    const report: ReportCreate = {
      category,
      description: description.trim(),
      lat: place.lat,
      lon: place.lon,
      ...(Object.keys(contact).length > 0 ? { contact } : {}),
    };
    setBusy(true);
    setFailure(null);
    fileReport(report, photos)
      .then(onFiled)
      .catch((err: unknown) => setFailure(err))
      .finally(() => setBusy(false));
  };

  return (
    <form className="rform" onSubmit={submit} noValidate data-testid="report-form">
      <p className="fnote">{rt('report.intro')}</p>
      <fieldset className="fcard rfield">
        <legend className="fcard__title">{rt('report.category')}</legend>
        {categories === null && <p className="fnote">{rt('report.categoriesLoading')}</p>}
        <div className="rcats">
          {categories?.map((c) => (
            <label key={c.id} className="rcat" data-testid="category">
              <input
                type="radio"
                name="category"
                value={c.id}
                checked={category === c.id}
                onChange={() => setCategory(c.id)}
              />
              <span>{c.name[locale]}</span>
            </label>
          ))}
        </div>
      </fieldset>

      <div className="fcard">
        <label className="fcard__title" htmlFor={`${id}-desc`}>
          {rt('report.description')}
        </label>
        <textarea
          id={`${id}-desc`}
          className="finput"
          rows={4}
          maxLength={2000}
          placeholder={rt('report.descriptionHint')}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          data-testid="report-description"
        />
      </div>

      <div className="fcard">
        <span className="fcard__title">{rt('report.photos', { n: MAX_PHOTOS })}</span>
        <div className="fphotos">
          {previews.map((p, i) => (
            <span key={p.url} className="fphoto-wrap">
              <img className="fphoto" src={p.url} alt="" data-testid="report-photo" />
              <button
                type="button"
                className="fbtn rphoto__remove"
                aria-label={rt('report.removePhoto')}
                onClick={() => setPhotos((current) => current.filter((_, j) => j !== i))}
              >
                ✕
              </button>
            </span>
          ))}
        </div>
        {photoError !== null && (
          <p className="ferror" role="alert">
            {photoError}
          </p>
        )}
        {photos.length < MAX_PHOTOS && (
          <label className="fbtn fbtn--wide fbtn--file">
            {rt('report.addPhoto')}
            <input type="file" accept="image/*" capture="environment" multiple onChange={addPhotos} data-testid="report-photo-input" />
          </label>
        )}
      </div>

      <div className="fcard">
        <span className="fcard__title">{rt('report.place')}</span>
        <div className="rplace__ways">
          <button type="button" className="fbtn fbtn--link fbtn--wide" onClick={locate} disabled={locating} data-testid="report-locate">
            {locating ? rt('report.locating') : rt('report.useLocation')}
          </button>
          <button
            type="button"
            className="fbtn fbtn--link fbtn--wide"
            onClick={() => setPicking(true)}
            aria-expanded={picking}
            ref={pickButton}
            data-testid="report-pick-map"
          >
            {rt('report.pickOnMap')}
          </button>
        </div>
        {picking && (
          <PlacePicker
            initial={place?.from === 'map' ? place : null}
            onConfirm={(picked) => {
              setPlace({ from: 'map', ...picked });
              setPlaceError(null);
              setPicking(false);
              pickButton.current?.focus();
            }}
            onCancel={() => {
              setPicking(false);
              pickButton.current?.focus();
            }}
          />
        )}
        {place !== null && (
          <p className="rplace" data-testid="report-place">
            {place.from === 'phone'
              ? rt('report.located', { lat: place.lat.toFixed(5), lon: place.lon.toFixed(5), accuracy: Math.round(place.accuracy) })
              : rt('report.picked', { lat: place.lat.toFixed(5), lon: place.lon.toFixed(5), ward: wardName(place.ward, locale) })}
          </p>
        )}
        {placeError !== null && (
          <p className="ferror" role="alert">
            {placeError}
          </p>
        )}
      </div>

      <fieldset className="fcard rfield">
        <legend className="fcard__title">{rt('report.contact')}</legend>
        <p className="fnote rcontact__note" data-testid="contact-note">
          {rt('report.contactNote')}
        </p>
        <label className="rlabel" htmlFor={`${id}-name`}>
          {rt('report.name')}
        </label>
        <input
          id={`${id}-name`}
          className="finput"
          autoComplete="name"
          maxLength={120}
          value={name}
          onChange={(e) => setName(e.target.value)}
          data-testid="report-name"
        />
        <label className="rlabel" htmlFor={`${id}-phone`}>
          {rt('report.phone')}
        </label>
        <input
          id={`${id}-phone`}
          className="finput"
          type="tel"
          autoComplete="tel"
          maxLength={20}
          value={phone}
          onChange={(e) => setPhone(e.target.value)}
          data-testid="report-phone"
        />
      </fieldset>

      {tried && missing.length > 0 && (
        <p className="ferror" role="alert" data-testid="report-missing">
          {rt('report.missing', { what: missing.join(', ') })}
        </p>
      )}
      {failure !== null && (
        <p className="ferror" role="alert" data-testid="report-error">
          {filingFailureText(failure)}
        </p>
      )}
      <button type="submit" className="fbtn fbtn--primary fbtn--wide rsubmit" disabled={busy} data-testid="report-submit">
        {busy ? rt('report.submitting') : rt('report.submit')}
      </button>
    </form>
  );
}

/** After filing: the tracking code, large, and the way to follow it. */
export function ReportFiled({ created, onAnother }: { created: ReportCreated; onAnother: () => void }) {
  const locale = useLocale();
  return (
    <section className="fcard rdone" data-testid="report-filed">
      <h1 className="fpage__title">{rt('report.sent')}</h1>
      <p className="rdone__label">{rt('report.codeLabel')}</p>
      <p className="rdone__code" data-testid="report-code">
        {created.code}
      </p>
      <p className="fnote">{rt('report.codeHint')}</p>
      <p className="fnote">{rt('report.deadline', { time: formatWhen(created.deadline, locale) })}</p>
      <a className="fbtn fbtn--primary fbtn--wide" href={`/report/track/${encodeURIComponent(created.code)}`} data-testid="report-track-link">
        {rt('report.track')}
      </a>
      <button type="button" className="fbtn fbtn--wide" onClick={onAnother}>
        {rt('report.another')}
      </button>
    </section>
  );
}
