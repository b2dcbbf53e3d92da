import { randomUUID } from 'node:crypto';
import type { AttachmentInfo } from '../../contract/index.js';
import type { StateStore, StoredBlob } from '../state/types.js';
import { processPhoto, type PhotoType } from './photo-check.js';

/*
 * Photos of alerts and reports: the original bytes kept as evidence and a resized copy without
 * metadata, both as blobs in the state store, and one `attachment` record naming the item it
 * belongs to (so access is decided by whoever may read that item).
 */

/** What a photo belongs to. */
export interface AttachmentOwner {
  kind: 'alert' | 'report';
  id: string;
}

/** The attachment record's JSON. */
export interface StoredAttachment {
  info: AttachmentInfo;
  owner: AttachmentOwner;
  /** Size of the served copy, bytes. */
  displayBytes: number;
}

export interface AttachmentStore {
  /** Checks the photo from its bytes (413/415 with the reason), stores both copies and the record. */
  save(bytes: Buffer, owner: AttachmentOwner, by: string): Promise<AttachmentInfo>;
  /** Checks and resizes without storing: lets a report refuse a bad photo before anything is made. */
  prepare(bytes: Buffer): Promise<PreparedPhoto>;
  /** Stores what `prepare` made. */
  store(photo: PreparedPhoto, owner: AttachmentOwner, by: string): Promise<AttachmentInfo>;
  get(id: string): Promise<StoredAttachment | undefined>;
  /** The served copy, or the original when `original`. */
  bytes(id: string, original: boolean): Promise<StoredBlob | undefined>;
}

/** A checked photo not yet stored. */
export interface PreparedPhoto {
  type: PhotoType;
  original: Buffer;
  display: Buffer;
  width: number;
  height: number;
}

/** Where a photo is fetched (the resized copy; `?original=1` for the original). */
export function attachmentUrl(id: string): string {
  return `/api/v1/attachments/${id}`;
}

const displayBlobId = (id: string) => `${id}.display`;

export function createAttachmentStore(deps: { state: StateStore; clock?: () => number }): AttachmentStore {
  const clock = deps.clock ?? Date.now;
  const { state } = deps;

  const store = async (photo: PreparedPhoto, owner: AttachmentOwner, by: string): Promise<AttachmentInfo> => {
    const id = `att-${randomUUID()}`;
    const at = clock();
    const info: AttachmentInfo = {
      id,
      url: attachmentUrl(id),
      contentType: photo.type,
      bytes: photo.original.length,
      ...(photo.width > 0 ? { width: photo.width, height: photo.height } : {}),
      at,
      by,
    };
    // Blobs first: a record never points at bytes that are not there.
    await state.putBlob(id, { contentType: photo.type, bytes: photo.original });
    await state.putBlob(displayBlobId(id), { contentType: photo.type, bytes: photo.display });
    const json: StoredAttachment = { info, owner, displayBytes: photo.display.length };
    await state.insertRecord({
      kind: 'attachment',
      id,
      version: 1,
      ref: `${owner.kind}:${owner.id}`,
      at,
      updatedAt: at,
      open: false,
      json: JSON.stringify(json),
    });
    return info;
  };

  return {
    prepare: (bytes) => processPhoto(bytes),
    store,
    async save(bytes, owner, by) {
      return store(await processPhoto(bytes), owner, by);
    },
    async get(id) {
      const record = await state.getRecord('attachment', id);
      return record && (JSON.parse(record.json) as StoredAttachment);
    },
    bytes: (id, original) => state.getBlob(original ? id : displayBlobId(id)),
  };
}
