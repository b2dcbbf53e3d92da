import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ReadonlyObservable } from '../state/observable.js';

/**
 * Samples `read` every `intervalMs` and re-renders only when the sample changed (by `equal`): the way
 * React follows the fast-changing store without rendering per delta. `key` restarts sampling at once.
 */
export function usePolled<T>(
  read: () => T,
  intervalMs: number,
  equal: (a: T, b: T) => boolean = Object.is,
  key: unknown = null,
): T {
  const [value, setValue] = useState(read);
  const latest = useRef({ read, equal });
  useEffect(() => {
    latest.current = { read, equal };
  });
  useEffect(() => {
    const sample = () => {
      const next = latest.current.read();
      setValue((previous) => (latest.current.equal(previous, next) ? previous : next));
    };
    sample();
    const timer = setInterval(sample, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, key]);
  return value;
}

/** Subscribes a component to an observable. */
export function useObservable<T>(source: ReadonlyObservable<T>): T {
  return useSyncExternalStore(source.subscribe, source.get);
}

/** Shallow equality of two flat records (counts per layer). */
export function sameRecord<T extends object>(a: T, b: T): boolean {
  const keys = Object.keys(a) as (keyof T)[];
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.is(a[k], b[k]));
}
