import { ApiFailure, request } from '../../live/http.js';
import { createExportMeter, type ExportProgress } from './export-meter.js';
import { exportPath, fallbackFileName, fileNameOf, type ExportRequest } from './export-query.js';

/** A finished download, held in memory until it is saved. */
export interface ExportFile {
  name: string;
  blob: Blob;
  progress: ExportProgress;
}

/** The stream broke after the server had started answering (the file would be short): said apart from a refusal. */
export class ExportCutError extends Error {
  override readonly name = 'ExportCutError';
}

/** How often (ms) progress is reported at most: a bar that moves, without a render per network chunk. */
const REPORT_MS = 200;

/**
 * Streams `/export` through the one API door (session cookie, 401 → login), reporting bytes, records
 * and an estimate as chunks arrive; `signal` cancels it. Resolves with the whole file as a Blob.
 */
export async function downloadExport(
  req: ExportRequest,
  onProgress: (progress: ExportProgress) => void,
  signal: AbortSignal,
): Promise<ExportFile> {
  const response = await request('GET', exportPath(req), { signal, timeoutMs: null });
  const meter = createExportMeter(req.format, req.from, req.to);
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let reported = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      try {
        next = await reader.read();
      } catch (err) {
        if (signal.aborted) throw err;
        throw new ExportCutError((err as Error).message);
      }
      if (next.done) break;
      parts.push(next.value);
      meter.push(next.value);
      const now = performance.now();
      if (now - reported >= REPORT_MS) {
        reported = now;
        onProgress(meter.progress());
      }
    }
  } else {
    const whole = new Uint8Array(await response.arrayBuffer());
    parts.push(whole);
    meter.push(whole);
  }
  const progress = meter.progress();
  onProgress(progress);
  const type = response.headers.get('content-type') ?? 'application/octet-stream';
  return {
    name: fileNameOf(response.headers.get('content-disposition'), fallbackFileName(req)),
    blob: new Blob(parts, { type }),
    progress,
  };
}

/** Hands a file to the browser's downloads through a temporary link. */
export function saveFile(file: Pick<ExportFile, 'name' | 'blob'>): void {
  const url = URL.createObjectURL(file.blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file.name;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the file once the click is handled; free the memory a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The i18n key of what to do next after a failure. */
export function nextStepKey(
  err: unknown,
):
  | 'export.next.badRequest'
  | 'export.next.forbidden'
  | 'export.next.network'
  | 'export.next.cut'
  | 'export.next.server' {
  if (err instanceof ExportCutError) return 'export.next.cut';
  if (err instanceof ApiFailure) {
    if (err.status === 0) return 'export.next.network';
    if (err.status === 403) return 'export.next.forbidden';
    if (err.status >= 400 && err.status < 500) return 'export.next.badRequest';
    return 'export.next.server';
  }
  return 'export.next.network';
}
