import type { Bbox } from '../../../contract/entity.js';
import type { ExportFormatName } from '../../../contract/export.js';

/** What part of the city an export covers. */
export type ExportScope =
  { kind: 'city' } | { kind: 'entity'; domain: string; id: string } | { kind: 'view'; bbox: Bbox };

/** One export the console asks for: a format, a window (ms since epoch) and a scope. */
export interface ExportRequest {
  format: ExportFormatName;
  from: number;
  to: number;
  scope: ExportScope;
}

/** Degrees kept in a bbox parameter: about 1 m, and a short, readable URL. */
const BBOX_DIGITS = 5;

/** The `/export?…` path (under /api/v1) for a request. */
export function exportPath(req: ExportRequest): string {
  const query = new URLSearchParams({
    format: req.format,
    from: String(Math.floor(req.from)),
    to: String(Math.ceil(req.to)),
  });
  if (req.scope.kind === 'entity') {
    query.set('domain', req.scope.domain);
    query.set('ids', req.scope.id);
  } else if (req.scope.kind === 'view') {
    query.set('bbox', req.scope.bbox.map((deg) => deg.toFixed(BBOX_DIGITS)).join(','));
  }
  return `/export?${query.toString().replace(/%2C/gi, ',')}`;
}

/** The file name a `Content-Disposition` header gives (`filename*=` first, then `filename=`), else `fallback`. */
export function fileNameOf(header: string | null, fallback: string): string {
  if (header === null) return fallback;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      return safeFileName(decodeURIComponent(extended[1].trim()), fallback);
    } catch {
      // A malformed escape: fall back to the plain parameter.
    }
  }
  const plain = /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/.exec(header);
  return safeFileName(plain?.[1] ?? plain?.[2] ?? '', fallback);
}

/** Keeps the last path segment only: a file name never names a folder. */
function safeFileName(name: string, fallback: string): string {
  const last = name.split(/[\\/]/).pop()?.trim() ?? '';
  return last === '' || last === '.' || last === '..' ? fallback : last;
}

/** The name used when the server sends none: `ioc-<scope>-<from>-<to>.<ext>`. */
export function fallbackFileName(req: ExportRequest): string {
  const stamp = (ms: number) =>
    new Date(ms)
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
  const scope = req.scope.kind === 'entity' ? `${req.scope.domain}-${req.scope.id}` : req.scope.kind;
  return `ioc-${scope}-${stamp(req.from)}-${stamp(req.to)}.${req.format}`;
}
