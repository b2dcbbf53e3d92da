import { fileTypeFromBuffer } from 'file-type';
import sharp from 'sharp';
import { MAX_PHOTO_BYTES, PHOTO_TYPES } from '../../contract/index.js';
import { HttpError } from '../http/errors.js';

/*
 * A photo's type is read from its bytes (magic numbers), never from the name or the declared
 * type: a JPEG renamed .png is a JPEG, and an HTML page named photo.jpg is refused. What is served
 * is a re-encoded copy, so no byte the sender chose reaches another person's browser unchanged.
 */

export type PhotoType = (typeof PHOTO_TYPES)[number];

/** Longest side of the copy that is served, in pixels. */
export const DISPLAY_MAX_PX = 1280;
/** Pixels sharp will decode at most: a 10 MB PNG can claim 20 000 × 20 000 (a decompression bomb). */
const MAX_INPUT_PIXELS = 80_000_000;

const EXTENSION: Record<PhotoType, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** The file extension for a photo type (names of downloads). */
export function extensionOf(type: PhotoType): string {
  return EXTENSION[type];
}

function isPhotoType(mime: string): mime is PhotoType {
  return (PHOTO_TYPES as readonly string[]).includes(mime);
}

/** The photo's type from its bytes; 413 past MAX_PHOTO_BYTES, 415 with the reason for anything else. */
export async function detectPhotoType(bytes: Buffer): Promise<PhotoType> {
  if (bytes.length > MAX_PHOTO_BYTES) {
    throw new HttpError(
      413,
      'payload_too_large',
      `The photo is ${bytes.length} bytes; at most ${MAX_PHOTO_BYTES} (10 MB) are accepted.`,
    );
  }
  if (bytes.length === 0) throw new HttpError(400, 'bad_request', 'The photo is empty.');
  const found = await fileTypeFromBuffer(bytes);
  if (found === undefined) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `The file is not an image this server accepts (its bytes match no known type); send ${PHOTO_TYPES.join(', ')}.`,
    );
  }
  if (!isPhotoType(found.mime)) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `The file's bytes are ${found.mime}, whatever its name says; only ${PHOTO_TYPES.join(', ')} are accepted.`,
    );
  }
  return found.mime;
}

/** A checked photo: its type, size and the copy to serve. */
export interface ProcessedPhoto {
  type: PhotoType;
  original: Buffer;
  width: number;
  height: number;
  /** At most DISPLAY_MAX_PX on its longest side, turned upright, with every metadata block (EXIF, GPS, XMP, ICC) dropped. */
  display: Buffer;
}

/** Checks a photo from its bytes and makes the copy that is served. */
export async function processPhoto(bytes: Buffer): Promise<ProcessedPhoto> {
  const type = await detectPhotoType(bytes);
  try {
    const image = sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' });
    const meta = await image.metadata();
    // rotate() with no angle applies the EXIF orientation before the EXIF is dropped; sharp writes
    // no metadata to its output unless asked (keepExif / withMetadata), which is how GPS goes.
    const resized = image
      .rotate()
      .resize({ width: DISPLAY_MAX_PX, height: DISPLAY_MAX_PX, fit: 'inside', withoutEnlargement: true });
    const encoded =
      type === 'image/jpeg'
        ? resized.jpeg({ quality: 82, mozjpeg: true })
        : type === 'image/png'
          ? resized.png()
          : resized.webp({ quality: 80 });
    const display = await encoded.toBuffer();
    // Orientations 5–8 swap width and height once turned upright.
    const swapped = (meta.orientation ?? 1) >= 5;
    const width = (swapped ? meta.height : meta.width) ?? 0;
    const height = (swapped ? meta.width : meta.height) ?? 0;
    return { type, original: bytes, width, height, display };
  } catch (err) {
    throw new HttpError(415, 'unsupported_media_type', `The ${type} image cannot be read: ${(err as Error).message}`);
  }
}
