import { deflateSync } from 'node:zlib';
import { zxyToTileId } from 'pmtiles';

// Small, dependency-free writers for test basemaps: PMTiles v3 archives (spec: github.com/protomaps/PMTiles
// spec/v3/spec.md), solid-colour PNG tiles and one-polygon Mapbox Vector Tiles.

function varint(value: number, out: number[]): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A size×size PNG of one opaque RGB colour. */
export function solidPng(rgb: readonly [number, number, number], size = 256): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(2, 9); // colour type RGB
  const row = Buffer.alloc(1 + size * 3);
  for (let x = 0; x < size; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: size }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// Protocol buffer pieces for MVT (vector_tile.proto v2).
function field(num: number, wire: number, out: number[]): void {
  varint((num << 3) | wire, out);
}
function bytesField(num: number, bytes: readonly number[], out: number[]): void {
  field(num, 2, out);
  varint(bytes.length, out);
  out.push(...bytes);
}
const zigzag = (n: number) => (n << 1) ^ (n >> 31);

/** Geometry commands of a line through `points` (tile coordinates, extent 4096). */
function lineCommands(points: readonly (readonly [number, number])[]): number[] {
  const commands: number[] = [];
  let [cx, cy] = [0, 0];
  points.forEach(([x, y], i) => {
    if (i === 0) commands.push((1 & 7) | (1 << 3)); // MoveTo ×1
    if (i === 1) commands.push((2 & 7) | ((points.length - 1) << 3)); // LineTo ×(n-1)
    commands.push(zigzag(x - cx), zigzag(y - cy));
    [cx, cy] = [x, y];
  });
  return commands;
}

/** A closed ring: the line plus ClosePath. */
function ringCommands(points: readonly (readonly [number, number])[]): number[] {
  return [...lineCommands(points), (7 & 7) | (1 << 3)];
}

/** An MVT layer holding one feature (type 2 = line, 3 = polygon). */
function mvtLayer(name: string, type: 2 | 3, geometry: number[]): number[] {
  const feature: number[] = [];
  field(1, 0, feature);
  varint(1, feature); // id
  field(3, 0, feature);
  varint(type, feature);
  const packed: number[] = [];
  for (const g of geometry) varint(g, packed);
  bytesField(4, packed, feature);

  const layer: number[] = [];
  field(15, 0, layer);
  varint(2, layer); // version
  bytesField(1, [...Buffer.from(name, 'utf8')], layer);
  bytesField(2, feature, layer);
  field(5, 0, layer);
  varint(4096, layer); // extent
  return layer;
}

/** A vector tile with a `water` polygon over the whole tile and a `roads` line across it. */
export function waterAndRoadTile(): Buffer {
  const tile: number[] = [];
  bytesField(
    3,
    mvtLayer(
      'water',
      3,
      ringCommands([
        [0, 0],
        [0, 4096],
        [4096, 4096],
        [4096, 0],
        [0, 0],
      ]),
    ),
    tile,
  );
  bytesField(
    3,
    mvtLayer(
      'roads',
      2,
      lineCommands([
        [0, 2048],
        [4096, 2048],
      ]),
    ),
    tile,
  );
  return Buffer.from(tile);
}

export interface PmtilesFixture {
  tileType: 'mvt' | 'png';
  /** Called for each tile of the pyramid; equal buffers are stored once. */
  tile(z: number, x: number, y: number): Buffer;
  minZoom: number;
  maxZoom: number;
  /** [west, south, east, north] the pyramid covers. */
  bounds: readonly [number, number, number, number];
  metadata?: Record<string, unknown>;
}

function tileRange(
  z: number,
  [west, south, east, north]: PmtilesFixture['bounds'],
): { x0: number; x1: number; y0: number; y1: number } {
  const n = 2 ** z;
  const tx = (lon: number) => Math.min(n - 1, Math.max(0, Math.floor(((lon + 180) / 360) * n)));
  const ty = (lat: number) => {
    const rad = (lat * Math.PI) / 180;
    return Math.min(
      n - 1,
      Math.max(0, Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n)),
    );
  };
  return { x0: tx(west), x1: tx(east), y0: ty(north), y1: ty(south) };
}

/** Builds a PMTiles v3 archive (uncompressed directory, clustered) of every tile over `bounds`. */
export function buildPmtiles(fixture: PmtilesFixture): Buffer {
  const entries: { tileId: number; data: Buffer }[] = [];
  for (let z = fixture.minZoom; z <= fixture.maxZoom; z++) {
    const { x0, x1, y0, y1 } = tileRange(z, fixture.bounds);
    for (let x = x0; x <= x1; x++)
      for (let y = y0; y <= y1; y++) entries.push({ tileId: zxyToTileId(z, x, y), data: fixture.tile(z, x, y) });
  }
  entries.sort((a, b) => a.tileId - b.tileId);

  const blobs: Buffer[] = [];
  const offsets = new Map<string, { offset: number; length: number }>();
  let dataLength = 0;
  const placed = entries.map(({ tileId, data }) => {
    const key = data.toString('base64');
    let slot = offsets.get(key);
    if (!slot) {
      slot = { offset: dataLength, length: data.length };
      offsets.set(key, slot);
      blobs.push(data);
      dataLength += data.length;
    }
    return { tileId, ...slot };
  });

  const dir: number[] = [];
  varint(placed.length, dir);
  let lastId = 0;
  for (const e of placed) {
    varint(e.tileId - lastId, dir);
    lastId = e.tileId;
  }
  for (let i = 0; i < placed.length; i++) varint(1, dir); // run lengths
  for (const e of placed) varint(e.length, dir);
  placed.forEach((e, i) => {
    const previous = placed[i - 1];
    varint(previous && e.offset === previous.offset + previous.length ? 0 : e.offset + 1, dir);
  });
  const root = Buffer.from(dir);
  if (127 + root.length > 16_384) throw new Error('fixture too large for a root-only directory');
  const metadata = Buffer.from(JSON.stringify(fixture.metadata ?? {}), 'utf8');

  const header = Buffer.alloc(127);
  header.write('PMTiles', 0, 'latin1');
  header.writeUInt8(3, 7);
  const u64 = (offset: number, value: number) => header.writeBigUInt64LE(BigInt(value), offset);
  const rootOffset = 127;
  const metadataOffset = rootOffset + root.length;
  const dataOffset = metadataOffset + metadata.length;
  u64(8, rootOffset);
  u64(16, root.length);
  u64(24, metadataOffset);
  u64(32, metadata.length);
  u64(40, 0); // leaf directories
  u64(48, 0);
  u64(56, dataOffset);
  u64(64, dataLength);
  u64(72, entries.length); // addressed tiles
  u64(80, placed.length); // tile entries
  u64(88, blobs.length); // tile contents
  header.writeUInt8(1, 96); // clustered
  header.writeUInt8(1, 97); // internal compression: none
  header.writeUInt8(1, 98); // tile compression: none
  header.writeUInt8(fixture.tileType === 'mvt' ? 1 : 2, 99);
  header.writeUInt8(fixture.minZoom, 100);
  header.writeUInt8(fixture.maxZoom, 101);
  const [west, south, east, north] = fixture.bounds;
  header.writeInt32LE(Math.round(west * 1e7), 102);
  header.writeInt32LE(Math.round(south * 1e7), 106);
  header.writeInt32LE(Math.round(east * 1e7), 110);
  header.writeInt32LE(Math.round(north * 1e7), 114);
  header.writeUInt8(fixture.maxZoom, 118);
  header.writeInt32LE(Math.round(((west + east) / 2) * 1e7), 119);
  header.writeInt32LE(Math.round(((south + north) / 2) * 1e7), 123);
  return Buffer.concat([header, root, metadata, ...blobs]);
}
