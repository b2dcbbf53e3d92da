/** The replay moment a link carries: the window shown on the time bar and the playhead (ms since epoch). */
export interface ReplayUrlState {
  from: number;
  to: number;
  at: number;
}

/** Reads `?replay=<from>,<to>&at=<ms>`; null when absent or unreadable (the console then opens live). */
export function parseReplayUrl(search: string): ReplayUrlState | null {
  const params = new URLSearchParams(search);
  const replay = params.get('replay');
  if (replay === null) return null;
  const parts = replay.split(',');
  if (parts.length !== 2) return null;
  const from = Number(parts[0]);
  const to = Number(parts[1]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from >= to) return null;
  const atText = params.get('at');
  const at = atText === null || atText === '' ? to : Number(atText);
  if (!Number.isFinite(at)) return null;
  return { from, to, at: Math.min(to, Math.max(from, Math.round(at))) };
}

/** The query string with the replay keys set (or removed when `state` is null); other keys are kept. */
export function formatReplayUrl(search: string, state: ReplayUrlState | null): string {
  const params = new URLSearchParams(search);
  params.delete('replay');
  params.delete('at');
  if (state !== null) {
    params.set('replay', `${Math.round(state.from)},${Math.round(state.to)}`);
    params.set('at', String(Math.round(state.at)));
  }
  // The comma is legal in a query; keep it readable in a shared link.
  const text = params.toString().replace(/%2C/gi, ',');
  return text === '' ? '' : `?${text}`;
}
