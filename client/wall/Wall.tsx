import { useEffect, useState } from 'react';
import type { ConsoleConfig } from '../../contract/api.js';
import type { WallScene } from '../../contract/wall.js';
import { t, useLocale } from '../i18n/i18n.js';
import type { MessageKey } from '../i18n/messages.js';
import { useObservable } from '../ui/hooks.js';
import { AlertBoard } from './AlertBoard.js';
import { CameraBoard } from './CameraBoard.js';
import { CriticalScene } from './CriticalScene.js';
import { watchCritical, type CriticalWatch } from './critical-watch.js';
import { KpiBoard } from './KpiBoard.js';
import { MapScene } from './MapScene.js';
import { QualityBoard } from './QualityBoard.js';
import { startRotation, type Rotation } from './rotation.js';
import { SceneProgress } from './SceneProgress.js';
import { StaleBanner } from './StaleBanner.js';
import { WallClock } from './WallClock.js';
import { startWallRuntime, type WallRuntime } from './wall-runtime.js';
import { installWallTestHook } from './wall-test-hook.js';

const SCENE_TITLES: Record<WallScene['kind'], MessageKey> = {
  map: 'wall.scene.map',
  kpis: 'wall.scene.kpis',
  alerts: 'wall.scene.alerts',
  cameras: 'wall.scene.cameras',
  quality: 'wall.scene.quality',
};

/** The scene's own heading, or its kind's name. */
function sceneTitle(scene: WallScene, locale: 'vi' | 'en'): string {
  return scene.title?.[locale] ?? t(SCENE_TITLES[scene.kind]);
}

function BoardScene({ runtime, scene, active }: { runtime: WallRuntime; scene: WallScene; active: boolean }) {
  switch (scene.kind) {
    case 'kpis':
      return runtime.kpis && <KpiBoard resource={runtime.kpis} active={active} />;
    case 'alerts':
      return <AlertBoard runtime={runtime} />;
    case 'cameras':
      return runtime.cameras && <CameraBoard resource={runtime.cameras} config={runtime.config} active={active} />;
    case 'quality':
      return runtime.quality && <QualityBoard resource={runtime.quality} config={runtime.config} active={active} />;
    case 'map':
      return null;
  }
}

interface Boot {
  runtime: WallRuntime;
  rotation: Rotation;
  critical: CriticalWatch;
}

function WallScreen({ runtime, rotation, critical }: Boot) {
  const locale = useLocale();
  const turn = useObservable(rotation.state);
  const alert = useObservable(critical.current);
  useEffect(() => {
    if (alert) rotation.pause();
    else rotation.resume();
  }, [alert, rotation]);
  const scene = runtime.scenes[turn.index] ?? runtime.scenes[0];
  useEffect(() => installWallTestHook(runtime, rotation, critical), [runtime, rotation, critical]);
  if (!scene) return null;
  const hasMap = runtime.scenes.some((s) => s.kind === 'map');
  return (
    <div
      className={alert ? 'wall wall--critical' : 'wall'}
      data-testid="wall"
      data-scene={alert ? 'critical' : scene.kind}
      data-scene-index={turn.index}
    >
      {hasMap && <MapScene runtime={runtime} scene={scene.kind === 'map' ? scene : null} />}
      {scene.kind !== 'map' && (
        <section className="wall__board" key={turn.index} aria-label={sceneTitle(scene, locale)}>
          <BoardScene runtime={runtime} scene={scene} active={!alert} />
        </section>
      )}
      <header className="wall__top">
        <span className="wall__brand">IOC</span>
        <h1 className="wall__title" data-testid="wall-title">
          {sceneTitle(scene, locale)}
        </h1>
        <WallClock />
      </header>
      <SceneProgress scenes={runtime.scenes} state={turn} />
      {alert && <CriticalScene alert={alert} runtime={runtime} />}
      <StaleBanner health={runtime.health} />
    </div>
  );
}

/** Starts the wall's runtime and rotation for a configuration; stops both on unmount. */
export function Wall({ config }: { config: ConsoleConfig }) {
  const [boot, setBoot] = useState<Boot | null>(null);
  useEffect(() => {
    const runtime = startWallRuntime(config, () => window.location.reload());
    const rotation = startRotation(runtime.scenes.map((scene) => scene.duration));
    const critical = watchCritical(runtime.alerts);
    setBoot({ runtime, rotation, critical });
    return () => {
      critical.stop();
      rotation.stop();
      runtime.stop();
    };
  }, [config]);
  if (!boot) return <div className="wall" data-testid="wall" />;
  return <WallScreen {...boot} />;
}
