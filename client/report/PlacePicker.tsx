import { useEffect, useId, useRef, useState } from 'react';
import type { ZoneInfo } from '../../contract/api.js';
import { useLocale } from '../i18n/i18n.js';
import type { PickerMapView } from './picker-map.js';
import { fetchPickerMap, type PickerMap } from './report-api.js';
import { rt } from './report-messages.js';
import { wardOf } from './ward-of.js';

/** A place picked on the map, with the ward it falls in (undefined outside every ward). */
export interface PickedPlace {
  lat: number;
  lon: number;
  ward: ZoneInfo | undefined;
}

type Load = { state: 'loading' } | { state: 'ready'; config: PickerMap } | { state: 'failed'; message: string };

/** The ward's name in the page language, or "outside the wards". */
export function wardName(ward: ZoneInfo | undefined, locale: 'vi' | 'en'): string {
  return ward === undefined ? rt('report.pickOutside') : ward.name[locale];
}

/**
 * The map picker: ward outlines, tap or click to drop a pin (drag it or tap again to move it), the
 * ward under the map, confirm. From the keyboard: arrow keys move the map, a button drops the pin
 * at its centre. maplibre comes in with a dynamic import when this opens.
 */
export function PlacePicker({
  initial,
  onConfirm,
  onCancel,
}: {
  initial: PickedPlace | null;
  onConfirm: (place: PickedPlace) => void;
  onCancel: () => void;
}) {
  const locale = useLocale();
  const id = useId();
  const container = useRef<HTMLDivElement>(null);
  const title = useRef<HTMLHeadingElement>(null);
  const view = useRef<PickerMapView | null>(null);
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [mapReady, setMapReady] = useState(false);
  const [pin, setPin] = useState<PickedPlace | null>(initial);
  // Drops the pin once the map is up; the keyboard button goes through it too.
  const pickRef = useRef<((lat: number, lon: number) => void) | null>(null);

  useEffect(() => title.current?.focus(), []);

  useEffect(() => {
    let cancelled = false;
    Promise.all([import('./picker-map.js'), fetchPickerMap()]).then(
      ([module, config]) => {
        if (cancelled || container.current === null) return;
        setLoad({ state: 'ready', config });
        const pick = (lat: number, lon: number) => {
          const ward = wardOf(config.wards, lat, lon);
          view.current?.setPin(lat, lon);
          view.current?.highlight(ward?.id);
          setPin({ lat, lon, ward });
        };
        view.current = module.createPickerMap(container.current, config, {
          onReady: () => {
            if (cancelled) return;
            setMapReady(true);
            if (initial !== null) pick(initial.lat, initial.lon);
          },
          onPick: pick,
          labels: { map: rt('report.pickMap'), zoomIn: rt('report.zoomIn'), zoomOut: rt('report.zoomOut') },
        });
        pickRef.current = pick;
      },
      (err: unknown) => {
        if (!cancelled) setLoad({ state: 'failed', message: err instanceof Error ? err.message : String(err) });
      },
    );
    return () => {
      cancelled = true;
      view.current?.destroy();
      view.current = null;
    };
    // One map per opening; `initial` is only its starting pin.
  }, []);

  const pinAtCentre = () => {
    const centre = view.current?.center();
    if (centre) pickRef.current?.(centre.lat, centre.lon);
  };

  return (
    <section
      className="rpicker"
      aria-labelledby={`${id}-title`}
      data-testid="report-picker"
      onKeyDown={(event) => {
        if (event.key === 'Escape') onCancel();
      }}
    >
      <h2 id={`${id}-title`} className="rpicker__title" tabIndex={-1} ref={title}>
        {rt('report.pickTitle')}
      </h2>
      <p className="fnote rpicker__hint">{rt('report.pickHint')}</p>
      <div
        className="rpicker__map"
        ref={container}
        data-testid="picker-map"
        data-ready={mapReady ? 'true' : 'false'}
      >
        {load.state === 'loading' && <p className="rpicker__status">{rt('report.pickLoading')}</p>}
      </div>
      {load.state === 'failed' && (
        <p className="ferror" role="alert">
          {rt('report.pickFailed', { message: load.message })}
        </p>
      )}
      <p className="rpicker__ward" aria-live="polite" data-testid="picker-ward">
        {pin === null ? rt('report.pickNone') : wardName(pin.ward, locale)}
      </p>
      {pin !== null && (
        <p className="fnote rpicker__coords" data-testid="picker-coords">
          {pin.lat.toFixed(5)}, {pin.lon.toFixed(5)}
        </p>
      )}
      <div className="rpicker__actions">
        <button type="button" className="fbtn fbtn--wide" onClick={pinAtCentre} disabled={!mapReady} data-testid="picker-centre">
          {rt('report.pickKeyboard')}
        </button>
        <button type="button" className="fbtn fbtn--link fbtn--wide" onClick={onCancel} data-testid="picker-cancel">
          {rt('report.pickCancel')}
        </button>
      </div>
      <button
        type="button"
        className="fbtn fbtn--primary fbtn--wide"
        onClick={() => pin !== null && onConfirm(pin)}
        disabled={pin === null}
        data-testid="picker-confirm"
      >
        {rt('report.pickConfirm')}
      </button>
    </section>
  );
}
