import type { NextFunction, Request, RequestHandler, Response } from 'express';
import multer from 'multer';
import { MAX_PHOTO_BYTES } from '../../contract/index.js';
import { HttpError } from '../http/errors.js';

/*
 * multipart/form-data with explicit limits: every size and count is bounded before a byte is
 * buffered past it, and multer's errors become 413/400 answers that say which limit was hit.
 */

export interface MultipartLimits {
  /** File fields accepted, with how many files each may carry. */
  files: { name: string; maxCount: number }[];
  /** Text fields accepted (names), e.g. the report's JSON. */
  fields?: string[];
  /** Longest text field value, bytes. */
  maxFieldBytes?: number;
}

const REASONS: Record<string, { status: number; message: (field?: string) => string }> = {
  LIMIT_FILE_SIZE: {
    status: 413,
    message: (f) => `A photo${f ? ` in "${f}"` : ''} is larger than ${MAX_PHOTO_BYTES} bytes (10 MB).`,
  },
  LIMIT_FILE_COUNT: { status: 400, message: () => 'Too many files in one request.' },
  LIMIT_UNEXPECTED_FILE: {
    status: 400,
    message: (f) => `Unexpected file field "${f ?? ''}", or too many files in it.`,
  },
  LIMIT_FIELD_COUNT: { status: 400, message: () => 'Too many text fields in one request.' },
  LIMIT_FIELD_KEY: { status: 400, message: () => 'A field name is too long.' },
  LIMIT_FIELD_VALUE: { status: 413, message: (f) => `The text field "${f ?? ''}" is too long.` },
  LIMIT_PART_COUNT: { status: 400, message: () => 'Too many parts in one request.' },
};

/** Whether the request carries multipart/form-data. */
export function isMultipart(req: Request): boolean {
  return req.is('multipart/form-data') === 'multipart/form-data';
}

/** A middleware that parses multipart into memory within `limits`; unknown text fields are refused too. */
export function multipartParser(limits: MultipartLimits): RequestHandler {
  const allowedFields = new Set(limits.fields ?? []);
  const maxFiles = limits.files.reduce((sum, f) => sum + f.maxCount, 0);
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: MAX_PHOTO_BYTES,
      files: maxFiles,
      fields: allowedFields.size,
      fieldNameSize: 64,
      fieldSize: limits.maxFieldBytes ?? 16 * 1024,
      parts: maxFiles + allowedFields.size,
      headerPairs: 100,
    },
  }).fields(limits.files);
  return (req: Request, res: Response, next: NextFunction) => {
    upload(req, res, (err: unknown) => {
      if (err === undefined || err === null) {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const unknown = Object.keys(body).filter((key) => !allowedFields.has(key));
        if (unknown.length > 0)
          return next(
            new HttpError(
              400,
              'bad_request',
              `Unexpected field "${unknown[0]}"; this route takes ${[...allowedFields, ...limits.files.map((f) => f.name)].join(', ')}.`,
            ),
          );
        return next();
      }
      if (err instanceof multer.MulterError) {
        const reason = REASONS[err.code];
        const status = reason?.status ?? 400;
        // Counts are worth naming: the sender can fix them.
        const accepted = `; accepted: ${limits.files.map((f) => `at most ${f.maxCount} in "${f.name}"`).join(', ')}`;
        const counted = err.code === 'LIMIT_FILE_COUNT' || err.code === 'LIMIT_UNEXPECTED_FILE' ? accepted : '';
        const base = reason?.message(err.field) ?? err.message;
        const message = counted ? `${base.replace(/\.$/, '')}${counted}.` : base;
        return next(new HttpError(status, status === 413 ? 'payload_too_large' : 'bad_request', message));
      }
      // busboy's own errors: a malformed body (no boundary, cut short).
      next(
        new HttpError(
          400,
          'bad_request',
          `The multipart body cannot be read: ${err instanceof Error ? err.message : 'malformed'}`,
        ),
      );
    });
  };
}

/** The uploaded files of one field (after multipartParser). */
export function filesOf(req: Request, field: string): Express.Multer.File[] {
  const files = req.files as Record<string, Express.Multer.File[]> | undefined;
  return files?.[field] ?? [];
}
