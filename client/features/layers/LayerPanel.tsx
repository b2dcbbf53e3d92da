import { formatNumber } from '../../i18n/format.js';
import { t, useLocale } from '../../i18n/i18n.js';
import { CAMERA_SWATCH, cameraVisibility } from '../../map/deck-layers.js';
import { LAYER_KINDS, type KindCounts, type LayerKind } from '../../state/layer-kinds.js';
import { visibility } from '../../state/ui-state.js';
import { useObservable } from '../../ui/hooks.js';
import { KIND_SWATCH } from '../../ui/swatches.js';
import { Legend } from './Legend.js';

function toggle(kind: LayerKind): void {
  visibility.update((current) => ({ ...current, [kind]: !current[kind] }));
}

function toggleCameras(): void {
  cameraVisibility.set(!cameraVisibility.get());
  // The map redraws when visibility changes.
  visibility.update((current) => ({ ...current }));
}

/**
 * Layer switches with live counts, then the legend of what is shown. `counts.other` leaves out cameras
 * (`cameras`, their own switch) and domains that are no map layer (`layer: false`).
 */
export function LayerPanel({ counts, cameras = 0 }: { counts: KindCounts; cameras?: number }) {
  const locale = useLocale();
  const visible = useObservable(visibility);
  const camerasShown = useObservable(cameraVisibility);
  const kinds = LAYER_KINDS.filter((kind) => kind !== 'other' || counts.other > 0);
  return (
    <div className="layer-panel">
      <section aria-labelledby="layers-title">
        <h2 id="layers-title" className="panel__title">
          {t('panel.layers')}
        </h2>
        <ul className="toggles">
          {kinds.map((kind) => (
            <li key={kind}>
              <label className="toggle" data-kind={kind}>
                <input type="checkbox" checked={visible[kind]} onChange={() => toggle(kind)} />
                <span className="toggle__switch" aria-hidden="true" />
                <span className="swatch" style={{ background: KIND_SWATCH[kind] }} aria-hidden="true" />
                <span className="toggle__label">{t(`kind.${kind}`)}</span>
                <span className="toggle__count">{formatNumber(counts[kind], locale, 0)}</span>
              </label>
            </li>
          ))}
          {cameras > 0 && (
            <li>
              <label className="toggle" data-kind="camera">
                <input type="checkbox" checked={camerasShown} onChange={toggleCameras} />
                <span className="toggle__switch" aria-hidden="true" />
                <span className="swatch" style={{ background: CAMERA_SWATCH }} aria-hidden="true" />
                <span className="toggle__label">{t('camera.layer')}</span>
                <span className="toggle__count">{formatNumber(cameras, locale, 0)}</span>
              </label>
            </li>
          )}
        </ul>
      </section>
      <Legend visible={visible} />
    </div>
  );
}
