/** A value that changes rarely and tells its subscribers when it does (connection state, selection, toggles). */
export interface Observable<T> {
  get: () => T;
  set: (value: T) => void;
  update: (change: (value: T) => T) => void;
  subscribe: (listener: () => void) => () => void;
}

/** Creates an observable; `set` with an identical value notifies nobody. */
export function observable<T>(initial: T): Observable<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  const set = (next: T) => {
    if (Object.is(next, value)) return;
    value = next;
    for (const listener of [...listeners]) listener();
  };
  return {
    get: () => value,
    set,
    update: (change) => set(change(value)),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The reading side of an observable: what a component that only follows a value needs. */
export type ReadonlyObservable<T> = Pick<Observable<T>, 'get' | 'subscribe'>;
