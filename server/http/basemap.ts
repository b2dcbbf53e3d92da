import { openSync, readSync, closeSync, statSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import type { Basemap } from '../../contract/index.js';
import type { Config } from '../../config/schema.js';
import { HttpError } from './errors.js';

/** Where the product serves a local PMTiles archive (map.pmtilesFile). */
export const BASEMAP_ROUTE = '/basemap';

/** PMTiles v3 header: "PMTiles", spec version 3, then fixed fields (127 bytes in all). */
const HEADER_BYTES = 127;
const MAGIC = 'PMTiles';
const TILE_TYPES = ['unknown', 'mvt', 'png', 'jpeg', 'webp', 'avif', 'mlt'] as const;

/** What the product checked in a local PMTiles archive before serving it. */
export interface PmtilesFileInfo {
  file: string;
  bytes: number;
  tileType: (typeof TILE_TYPES)[number];
  minZoom: number;
  maxZoom: number;
}

/** Checks that map.pmtilesFile is a readable PMTiles v3 archive; throws with what to do otherwise. */
export function inspectPmtilesFile(file: string): PmtilesFileInfo {
  const resolved = path.resolve(file);
  const fail = (reason: string) =>
    new Error(
      `map.pmtilesFile (${resolved}) ${reason}. Point IOC_MAP_PMTILES_FILE or map.pmtilesFile at a PMTiles v3 archive.`,
    );
  let fd: number;
  try {
    fd = openSync(resolved, 'r');
  } catch (err) {
    throw fail(`cannot be opened: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    const read = readSync(fd, header, 0, HEADER_BYTES, 0);
    if (read < HEADER_BYTES || header.toString('latin1', 0, 7) !== MAGIC) throw fail('is not a PMTiles archive');
    const version = header.readUInt8(7);
    if (version !== 3) throw fail(`is PMTiles version ${version}; convert it with \`pmtiles convert\` to version 3`);
    const tileType = TILE_TYPES[header.readUInt8(99)] ?? 'unknown';
    if (tileType === 'unknown') throw fail('has an unknown tile type');
    return {
      file: resolved,
      bytes: statSync(resolved).size,
      tileType,
      minZoom: header.readUInt8(100),
      maxZoom: header.readUInt8(101),
    };
  } finally {
    closeSync(fd);
  }
}

/** The basemap the console draws, from the one basemap key set in config (offline when none is). */
export function basemapFor(map: Config['map'], localFile: PmtilesFileInfo | undefined): Basemap {
  const attribution = map.attribution !== undefined ? { attribution: map.attribution } : {};
  if (map.styleUrl !== undefined) return { kind: 'style', url: map.styleUrl };
  if (localFile)
    return {
      kind: 'pmtiles',
      url: `${BASEMAP_ROUTE}/${encodeURIComponent(path.basename(localFile.file))}`,
      ...attribution,
    };
  if (map.pmtilesUrl !== undefined)
    return { kind: 'pmtiles', url: map.pmtilesUrl.replace(/^pmtiles:\/\//, ''), ...attribution };
  if (map.tileUrl !== undefined) {
    return { kind: 'tiles', url: map.tileUrl, tileSize: map.tileSize, maxZoom: map.tileMaxZoom, ...attribution };
  }
  return { kind: 'offline' };
}

/**
 * Serves the local archive with HTTP range requests, which is how browsers read PMTiles. Public in the
 * route catalog: a street map is not city data, and the citizen report page's place picker reads it.
 */
export function createBasemapRouter(localFile: PmtilesFileInfo): Router {
  const router = express.Router();
  const name = path.basename(localFile.file);
  router.get('/:name', (req, res, next) => {
    if (req.params.name !== name) {
      next(
        new HttpError(404, 'not_found', `No basemap "${req.params.name}": this server has ${BASEMAP_ROUTE}/${name}.`),
      );
      return;
    }
    res.sendFile(
      localFile.file,
      { acceptRanges: true, lastModified: true, maxAge: '1h', headers: { 'Content-Type': 'application/vnd.pmtiles' } },
      (err) => {
        // The map cancels range requests for tiles it no longer needs: not an error worth a log line.
        if (err && !res.headersSent) next(err);
      },
    );
  });
  return router;
}
