import type { LayerKind } from '../state/layer-kinds.js';
import type { Rgba } from '../state/scales.js';

/** A colour that stands for each layer in toggles and counts (markers themselves are coloured by reading). */
export const KIND_SWATCH: Record<LayerKind, string> = {
  sensor: '#00e400',
  junction: '#ffd740',
  bus: '#ffc400',
  facility: '#3ddc84',
  ambulance: '#ff5252',
  service: '#b388ff',
  other: '#81d4fa',
};

/** CSS colour of a scale colour. */
export function cssColor(color: Rgba): string {
  return `rgb(${color[0]} ${color[1]} ${color[2]})`;
}
