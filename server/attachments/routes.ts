import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { AttachmentCreatedSchema, type AttachmentInfo } from '../../contract/index.js';
import type { AlertService } from '../alerts/alert-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { allows, canSeeItem, type Identity } from '../auth/policy.js';
import { clientIp, identityOf } from '../auth/request.js';
import { HttpError } from '../http/errors.js';
import type { RouteSpec } from '../http/route-catalog.js';
import type { ReportService } from '../reports/types.js';
import type { AttachmentOwner, AttachmentStore } from './attachment-store.js';
import { extensionOf, type PhotoType } from './photo-check.js';
import { filesOf, isMultipart, multipartParser } from './multipart.js';

/*
 * Photos of alerts and reports: upload (multipart field `photo`) and download. A photo is served
 * only to whoever may read the item it belongs to; citizens never see them back.
 */

export const AttachmentQuerySchema = z.strictObject({ original: z.enum(['0', '1', 'true', 'false']).optional() });

export const ATTACHMENT_ROUTES: readonly RouteSpec[] = [
  {
    method: 'get',
    path: '/api/v1/attachments/:id',
    access: 'alerts.read',
    tag: 'field',
    summary:
      'A photo of an alert or report: the resized copy without metadata, or `?original=1` the original kept as evidence. Only for callers who may read the item (field users: assigned to them or in their zones; 403 otherwise).',
    query: AttachmentQuerySchema,
    produces: 'image/*',
  },
  {
    method: 'post',
    path: '/api/v1/alerts/:id/attachments',
    access: 'alerts.act',
    tag: 'field',
    summary:
      'Add a photo to an alert: multipart/form-data with one file in `photo` (image/jpeg, png or webp by its bytes, at most 10 MB; 415 or 413 with the reason).',
    multipart: { photo: 'file' },
    response: AttachmentCreatedSchema,
    status: 201,
  },
  {
    method: 'post',
    path: '/api/v1/reports/:id/attachments',
    access: 'alerts.act',
    tag: 'reports',
    summary:
      'Add a photo to a citizen report: multipart/form-data with one file in `photo` (image/jpeg, png or webp by its bytes, at most 10 MB; 415 or 413 with the reason).',
    multipart: { photo: 'file' },
    response: AttachmentCreatedSchema,
    status: 201,
  },
];

export interface AttachmentsRouterDeps {
  attachments: AttachmentStore;
  alerts: Pick<AlertService, 'findAlert' | 'attach'>;
  reports: Pick<ReportService, 'get' | 'attach'>;
  audit: AuditLog;
}

/** The item a photo belongs to, if it exists: its zone and assignee decide who sees the photo. */
async function itemOf(
  deps: AttachmentsRouterDeps,
  owner: AttachmentOwner,
): Promise<{ zone?: string; assignee?: string } | undefined> {
  return owner.kind === 'alert' ? deps.alerts.findAlert(owner.id) : deps.reports.get(owner.id);
}

/** Tries of adding a stored photo to its alert when another move won the race: the photo is kept either way. */
const ATTACH_TRIES = 3;

/** Adds the photo to the alert's list and history, again from the new version after a lost race (409). */
async function attachToAlert(alerts: Pick<AlertService, 'attach'>, id: string, info: AttachmentInfo): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await alerts.attach(id, info);
      return;
    } catch (err) {
      // The service reloads the alert when it loses, so the next try builds on the stored version.
      if ((err as { status?: unknown }).status !== 409 || attempt >= ATTACH_TRIES) throw err;
    }
  }
}

export function createAttachmentsRouter(deps: AttachmentsRouterDeps): Router {
  const router = express.Router();
  const upload = multipartParser({ files: [{ name: 'photo', maxCount: 1 }] });

  /** The one uploaded photo of a multipart request; 415 for any other body. */
  const photoOf = (req: Request): Buffer => {
    const file = filesOf(req, 'photo')[0];
    if (file === undefined)
      throw new HttpError(400, 'bad_request', 'Send the photo as multipart/form-data in the field "photo".');
    return file.buffer;
  };
  const requireMultipart: express.RequestHandler = (req, _res, next) => {
    next(
      isMultipart(req)
        ? undefined
        : new HttpError(415, 'unsupported_media_type', 'Send multipart/form-data with the photo in the field "photo".'),
    );
  };
  const record = (req: Request, action: 'alert.attach' | 'report.attach', target: string, info: AttachmentInfo) =>
    deps.audit.record({
      actor: identityOf(req).name,
      action,
      target,
      ip: clientIp(req),
      details: { attachment: info.id, contentType: info.contentType, bytes: info.bytes },
    });

  /** 404 unless the caller may see the item (so nobody learns which ids exist outside their zones). */
  const visible = async (identity: Identity, owner: AttachmentOwner) => {
    const item = await itemOf(deps, owner);
    if (item === undefined || !canSeeItem(identity, item))
      throw new HttpError(404, 'not_found', `${owner.kind} "${owner.id}" does not exist`);
  };

  router.post(
    '/alerts/:id/attachments',
    requireMultipart,
    async (req, res, next) => {
      // Visibility first, so a caller outside the item's reach uploads nothing.
      await visible(identityOf(req), { kind: 'alert', id: req.params.id as string });
      upload(req, res, next);
    },
    async (req, res) => {
      const id = req.params.id as string;
      const identity = identityOf(req);
      const info = await deps.attachments.save(photoOf(req), { kind: 'alert', id }, identity.name);
      await attachToAlert(deps.alerts, id, info);
      record(req, 'alert.attach', id, info);
      res.status(201).json({ id: info.id, url: info.url });
    },
  );

  router.post(
    '/reports/:id/attachments',
    requireMultipart,
    async (req, res, next) => {
      await visible(identityOf(req), { kind: 'report', id: req.params.id as string });
      upload(req, res, next);
    },
    async (req, res) => {
      const id = req.params.id as string;
      const identity = identityOf(req);
      const info = await deps.reports.attach(id, { bytes: photoOf(req) }, identity.name);
      record(req, 'report.attach', id, info);
      res.status(201).json({ id: info.id, url: info.url });
    },
  );

  router.get('/attachments/:id', async (req, res) => {
    const identity = identityOf(req);
    const parsed = AttachmentQuerySchema.safeParse(req.query);
    if (!parsed.success)
      throw new HttpError(
        400,
        'bad_request',
        'query.original: 1 for the original, 0 (or nothing) for the resized copy',
      );
    const original = parsed.data.original === '1' || parsed.data.original === 'true';
    const stored = await deps.attachments.get(req.params.id);
    if (stored === undefined) throw new HttpError(404, 'not_found', `attachment "${req.params.id}" does not exist`);
    const item = await itemOf(deps, stored.owner);
    if (item === undefined) throw new HttpError(404, 'not_found', `attachment "${req.params.id}" does not exist`);
    if (!allows(identity, 'alerts.read') || !canSeeItem(identity, item)) {
      throw new HttpError(
        403,
        'forbidden',
        `This photo belongs to a ${stored.owner.kind} outside your zones and assignments.`,
      );
    }
    const blob = await deps.attachments.bytes(stored.info.id, original);
    if (blob === undefined) throw new HttpError(404, 'not_found', `attachment "${req.params.id}" has no stored bytes`);
    const type = stored.info.contentType satisfies PhotoType;
    const name = `${stored.info.id}${original ? '-original' : ''}.${extensionOf(type)}`;
    res.status(200);
    res.setHeader('Content-Type', type);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Disposition', `${original ? 'attachment' : 'inline'}; filename="${name}"`);
    // Photos may show people and homes: kept out of shared caches, and never run as a document.
    res.setHeader('Cache-Control', 'private, max-age=3600');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.end(blob.bytes);
  });
  return router;
}
