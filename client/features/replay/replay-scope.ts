import type { Bbox } from '../../../contract/entity.js';
import { KIND_DOMAIN, LAYER_KINDS } from '../../state/layer-kinds.js';
import { mapBounds, visibility, type Visibility } from '../../state/ui-state.js';

/** What a replay asks the server for: the domains of the shown layers, and the map area (null: the whole city). */
export interface ReplayScope {
  layers: readonly string[];
  bbox: Bbox | null;
}

/** Wait after the last toggle or map move before asking for the state again (a pan sends several moves). */
const SCOPE_DEBOUNCE_MS = 400;
/** The asked area reaches this share of the screen's width and height beyond each edge, so a small pan needs nothing new. */
const BBOX_MARGIN = 0.5;

/**
 * The domains to replay, in `domains` order: a built-in domain while at least one of its layers is
 * shown; any other domain (cameras and the generic layer, each with switches of their own) always.
 */
export function replayLayers(visible: Visibility, domains: readonly string[]): string[] {
  const shown = new Set<string>();
  for (const kind of LAYER_KINDS) if (visible[kind] && kind !== 'other') shown.add(KIND_DOMAIN[kind]);
  const builtIn = new Set(LAYER_KINDS.filter((kind) => kind !== 'other').map((kind) => KIND_DOMAIN[kind]));
  return domains.filter((domain) => !builtIn.has(domain) || shown.has(domain));
}

/** The screen's area grown by `margin` of its size on every side, kept inside valid degrees. */
export function paddedBbox(bbox: Bbox, margin: number = BBOX_MARGIN): Bbox {
  const [w, s, e, n] = bbox;
  const dx = (e - w) * margin;
  const dy = (n - s) * margin;
  return [Math.max(-180, w - dx), Math.max(-90, s - dy), Math.min(180, e + dx), Math.min(90, n + dy)];
}

/** True when the area asked before still covers the screen (no new request is needed). */
export function covers(outer: Bbox | null, inner: Bbox): boolean {
  return outer !== null && inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/** The scope for the current toggles and map area; `previous` is kept when it still covers the screen. */
export function currentScope(domains: readonly string[], previous: ReplayScope | null): ReplayScope {
  const layers = replayLayers(visibility.get(), domains);
  const screen = mapBounds.get();
  const bbox =
    screen === null ? null : covers(previous?.bbox ?? null, screen) ? (previous?.bbox ?? null) : paddedBbox(screen);
  return { layers, bbox };
}

/** Whether two scopes ask for the same data. */
export function sameScope(a: ReplayScope, b: ReplayScope): boolean {
  return (
    a.layers.length === b.layers.length &&
    a.layers.every((layer, i) => layer === b.layers[i]) &&
    (a.bbox === b.bbox || (a.bbox !== null && b.bbox !== null && a.bbox.every((deg, i) => deg === b.bbox?.[i])))
  );
}

/**
 * Follows the layer toggles and the map area: calls `apply` (debounced) with a new scope when either
 * asks for other data. With every layer hidden nothing is asked (the map draws nothing anyway).
 * Returns the unsubscribe.
 */
export function followScope(
  domains: readonly string[],
  initial: ReplayScope,
  apply: (scope: ReplayScope) => void,
): () => void {
  let scope = initial;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const changed = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      const next = currentScope(domains, scope);
      if (next.layers.length === 0 || sameScope(next, scope)) return;
      scope = next;
      apply(next);
    }, SCOPE_DEBOUNCE_MS);
  };
  const unsubscribers = [visibility.subscribe(changed), mapBounds.subscribe(changed)];
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    for (const unsubscribe of unsubscribers) unsubscribe();
  };
}
