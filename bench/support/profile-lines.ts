import { SourceMap, type SourceMapPayload } from 'node:module';
import type { Session } from 'node:inspector/promises';

interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileLike {
  nodes: { callFrame: CallFrame }[];
}

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;(?:charset=utf-8;)?base64,([A-Za-z0-9+/=]+)\s*$/;

/**
 * Code run through tsx is transformed (one long line per file), so a profile's line numbers point
 * into generated code. This maps each of our own frames back to its TypeScript line through the
 * inline source map of the script, read over the same inspector session.
 */
export async function mapProfileLines(session: Session, profile: ProfileLike): Promise<void> {
  const maps = new Map<string, SourceMap | undefined>();
  await session.post('Debugger.enable');
  try {
    for (const node of profile.nodes) {
      const frame = node.callFrame;
      if (!frame.url.startsWith('file://') || frame.url.includes('/node_modules/') || frame.lineNumber < 0) continue;
      if (!maps.has(frame.scriptId)) {
        let map: SourceMap | undefined;
        try {
          const { scriptSource } = await session.post('Debugger.getScriptSource', { scriptId: frame.scriptId });
          const match = INLINE_MAP.exec(scriptSource);
          if (match?.[1])
            map = new SourceMap(JSON.parse(Buffer.from(match[1], 'base64').toString('utf8')) as SourceMapPayload);
        } catch {
          map = undefined;
        }
        maps.set(frame.scriptId, map);
      }
      const entry = maps.get(frame.scriptId)?.findEntry(frame.lineNumber, frame.columnNumber);
      if (entry && 'originalLine' in entry) {
        frame.lineNumber = entry.originalLine;
        frame.columnNumber = entry.originalColumn;
      }
    }
  } finally {
    await session.post('Debugger.disable');
  }
}
