import { useEffect, useState } from 'react';

/** The latest answer of a refreshed call and the failure of the last attempt (null when it succeeded). */
export interface Refreshed<T> {
  data: T | null;
  error: unknown;
}

/**
 * Calls `load` now and again `intervalMs` after each answer (never two at once) while the component is
 * mounted; a failure keeps the last data and is reported beside it. A new `key` starts afresh.
 */
export function useRefreshed<T>(
  load: (signal: AbortSignal) => Promise<T>,
  intervalMs: number,
  key: unknown = null,
): Refreshed<T> {
  const [state, setState] = useState<Refreshed<T>>({ data: null, error: null });
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      load(abort.signal).then(
        (data) => {
          if (abort.signal.aborted) return;
          setState({ data, error: null });
          timer = setTimeout(run, intervalMs);
        },
        (error: unknown) => {
          if (abort.signal.aborted) return;
          setState((current) => ({ data: current.data, error }));
          timer = setTimeout(run, intervalMs);
        },
      );
    };
    run();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
    // `load` is read once per key: callers pass a module-level function or change `key` to reload.
  }, [intervalMs, key]);
  return state;
}
