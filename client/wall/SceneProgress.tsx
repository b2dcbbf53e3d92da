import type { WallScene } from '../../contract/wall.js';
import type { RotationState } from './rotation.js';

/** A thin bar filling over the scene's time, and one dot per scene with the current one lit. */
export function SceneProgress({ scenes, state }: { scenes: readonly WallScene[]; state: RotationState }) {
  const paused = state.pausedRemainingMs !== null;
  const elapsed = paused
    ? state.durationMs - (state.pausedRemainingMs ?? 0)
    : Math.max(0, performance.now() - state.startedAt);
  return (
    <div className="wall-progress" aria-hidden="true">
      <div className="wall-progress__dots">
        {scenes.map((scene, i) => (
          <span
            key={i}
            className={i === state.index ? 'wall-progress__dot wall-progress__dot--on' : 'wall-progress__dot'}
            data-kind={scene.kind}
          />
        ))}
      </div>
      <div className="wall-progress__track">
        <div
          key={`${state.index}:${state.startedAt}`}
          className="wall-progress__bar"
          style={{
            animationDuration: `${state.durationMs}ms`,
            animationDelay: `${-elapsed}ms`,
            animationPlayState: paused ? 'paused' : 'running',
          }}
        />
      </div>
    </div>
  );
}
