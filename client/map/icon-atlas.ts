// Markers drawn once on a canvas at start-up, so the console needs no image files or sprite server.

import type { Texture } from '@luma.gl/core';
import type { IconFrame } from './icon-attributes.js';

const CELL = 64;

/** An icon's cell in the atlas (declared DOM-free beside the attributes packed from it). */
export type IconDef = IconFrame;

type Shape = 'arrow' | 'dot';
type Variant = 'bus' | 'ambulance';

interface Paint {
  fill: string;
  stroke: string;
  cross: boolean;
}

const PAINTS: Record<Variant, Paint> = {
  bus: { fill: '#ffc400', stroke: '#0b1220', cross: false },
  ambulance: { fill: '#ff5252', stroke: '#ffffff', cross: true },
};
const STALE_STROKE = '#96a0af';

/** Icon name for a vehicle: variant, shape and whether it is stale. */
export function iconName(variant: Variant, shape: Shape, stale: boolean): string {
  return `${variant}-${shape}${stale ? '-stale' : ''}`;
}

function outline(ctx: CanvasRenderingContext2D, shape: Shape): void {
  const c = CELL / 2;
  ctx.beginPath();
  if (shape === 'arrow') {
    // A navigation arrow pointing north; deck.gl rotates it by the heading.
    ctx.moveTo(c, 6);
    ctx.lineTo(c + 20, CELL - 8);
    ctx.lineTo(c, CELL - 18);
    ctx.lineTo(c - 20, CELL - 8);
  } else {
    ctx.arc(c, c, 17, 0, Math.PI * 2);
  }
  ctx.closePath();
}

function drawIcon(ctx: CanvasRenderingContext2D, shape: Shape, paint: Paint, stale: boolean): void {
  ctx.lineJoin = 'round';
  outline(ctx, shape);
  if (!stale) {
    ctx.fillStyle = paint.fill;
    ctx.fill();
  }
  ctx.lineWidth = stale ? 5 : 4.5;
  ctx.strokeStyle = stale ? STALE_STROKE : paint.stroke;
  ctx.stroke();
  if (paint.cross && !stale) {
    const c = CELL / 2;
    const y = shape === 'arrow' ? c + 6 : c;
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(c - 2.5, y - 8, 5, 16);
    ctx.fillRect(c - 8, y - 2.5, 16, 5);
  }
}

function roundedSquare(ctx: CanvasRenderingContext2D, inset: number): void {
  ctx.beginPath();
  ctx.roundRect(inset, inset, CELL - 2 * inset, CELL - 2 * inset, 12);
}

/** Facility (square with a cross) and service centre (square with a person) as tintable masks. */
function drawPlace(ctx: CanvasRenderingContext2D, place: 'facility' | 'service', stale: boolean): void {
  const c = CELL / 2;
  ctx.fillStyle = '#fff';
  ctx.strokeStyle = '#fff';
  if (stale) {
    ctx.lineWidth = 6;
    roundedSquare(ctx, 9);
    ctx.stroke();
    return;
  }
  roundedSquare(ctx, 6);
  ctx.fill();
  // Cut the glyph out so the dark map shows through it in any tint.
  ctx.globalCompositeOperation = 'destination-out';
  if (place === 'facility') {
    ctx.fillRect(c - 5, c - 17, 10, 34);
    ctx.fillRect(c - 17, c - 5, 34, 10);
  } else {
    ctx.beginPath();
    ctx.arc(c, c - 8, 7, 0, Math.PI * 2);
    ctx.fill();
    ctx.beginPath();
    ctx.ellipse(c, c + 14, 14, 10, 0, Math.PI, 0);
    ctx.fill();
  }
  ctx.globalCompositeOperation = 'source-over';
}

/**
 * An atlas canvas as IconLayer's `iconAtlas`. deck.gl turns any image source into a texture at run time
 * (`createTexture` behind the `image` prop type); its IconLayer typings name only a URL or a Texture.
 */
export function atlasTexture(image: HTMLCanvasElement): Texture {
  return image as unknown as Texture;
}

/**
 * Draws every marker icon into one atlas; returns the canvas itself with its mapping. A data: URL
 * would be fetched by deck.gl, which the console's Content-Security-Policy (connect-src) refuses.
 */
export function createIconAtlas(): { image: HTMLCanvasElement; mapping: Record<string, IconDef> } {
  const variants: Variant[] = ['bus', 'ambulance'];
  const shapes: Shape[] = ['arrow', 'dot'];
  const canvas = document.createElement('canvas');
  canvas.width = CELL * 4;
  canvas.height = CELL * (variants.length + 1);
  const ctx = canvas.getContext('2d');
  const mapping: Record<string, IconDef> = {};
  let placeCol = 0;
  for (const place of ['facility', 'service'] as const) {
    for (const stale of [false, true]) {
      const x = placeCol * CELL;
      const y = variants.length * CELL;
      if (ctx) {
        ctx.save();
        ctx.translate(x, y);
        drawPlace(ctx, place, stale);
        ctx.restore();
      }
      mapping[`${place}${stale ? '-stale' : ''}`] = { x, y, width: CELL, height: CELL, anchorY: CELL / 2, mask: true };
      placeCol++;
    }
  }
  variants.forEach((variant, row) => {
    let col = 0;
    for (const shape of shapes) {
      for (const stale of [false, true]) {
        const x = col * CELL;
        const y = row * CELL;
        if (ctx) {
          ctx.save();
          ctx.translate(x, y);
          drawIcon(ctx, shape, PAINTS[variant], stale);
          ctx.restore();
        }
        mapping[iconName(variant, shape, stale)] = { x, y, width: CELL, height: CELL, anchorY: CELL / 2, mask: false };
        col++;
      }
    }
  });
  return { image: canvas, mapping };
}
