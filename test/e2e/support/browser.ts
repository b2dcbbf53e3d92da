import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Mesa llvmpipe through ANGLE is 2-3x faster than SwiftShader; it needs libegl-mesa0 (docs/TESTING.md).
const LLVMPIPE_ARGS = ['--use-gl=angle', '--use-angle=gl-egl', '--ignore-gpu-blocklist'];
const SWIFTSHADER_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

function hasMesaEgl(): boolean {
  return ['/usr/lib/x86_64-linux-gnu/libEGL_mesa.so.0', '/usr/lib/aarch64-linux-gnu/libEGL_mesa.so.0'].some((f) =>
    existsSync(f),
  );
}

/** Launches Debian's Chromium headless with software WebGL (llvmpipe when available, else SwiftShader). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing. Install it with: apt-get update && apt-get install -y chromium`);
  }
  const gl = process.env.IOC_E2E_GL === 'swiftshader' || !hasMesaEgl() ? SWIFTSHADER_ARGS : LLVMPIPE_ARGS;
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_ARGS, ...gl] });
}

/** True for URLs that stay on this machine (the console must work on a closed network). */
export function isLocalUrl(url: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:')) return true;
  try {
    const { hostname } = new URL(url);
    return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
  } catch {
    return false;
  }
}
