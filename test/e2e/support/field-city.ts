import type { Page } from 'playwright-core';

/** Two wards side by side, so a field user of one sees nothing of the other. */
export const FIELD_ZONES = [
  {
    id: 'north',
    name: { vi: 'Phường Bắc', en: 'North ward' },
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [106.17, 21.28],
          [106.215, 21.28],
          [106.215, 21.3],
          [106.17, 21.3],
          [106.17, 21.28],
        ],
      ],
    },
  },
  {
    id: 'south',
    name: { vi: 'Phường Nam', en: 'South ward' },
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [106.17, 21.255],
          [106.215, 21.255],
          [106.215, 21.28],
          [106.17, 21.28],
          [106.17, 21.255],
        ],
      ],
    },
  },
];

/** A place in each ward, and where the officer's phone stands (in the north ward). */
export const PLACES = {
  north: { lat: 21.29, lon: 106.19 },
  south: { lat: 21.265, lon: 106.19 },
  phone: { lat: 21.285, lon: 106.19 },
};

/** The three sizes every screen is shot at. */
export const SIZES = [
  { name: '360x780', width: 360, height: 780 },
  { name: '1920x1080', width: 1920, height: 1080 },
  { name: '3840x2160', width: 3840, height: 2160 },
] as const;

/** What page callbacks use (test files compile without DOM types). */
interface FrameGlobals {
  requestAnimationFrame(callback: () => void): number;
}

/** Waits for two frames: layout and paint at the current size. */
export function twoFrames(page: Page): Promise<void> {
  return page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const g = globalThis as unknown as FrameGlobals;
        g.requestAnimationFrame(() => g.requestAnimationFrame(resolve));
      }),
  );
}

/** Screenshots of what is on screen at the three sizes (full page), back to `restore` after. */
export async function shootSizes(
  page: Page,
  file: (size: string) => string,
  restore: { width: number; height: number },
): Promise<void> {
  for (const size of SIZES) {
    await page.setViewportSize({ width: size.width, height: size.height });
    await twoFrames(page);
    await page.screenshot({ path: file(size.name), fullPage: size.width === 360 });
  }
  await page.setViewportSize(restore);
  await twoFrames(page);
}
