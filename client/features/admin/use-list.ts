import { useCallback, useEffect, useState } from 'react';

/** A server list with its load state: items (null while the first load runs), the failure, and a reload. */
export function useList<T>(load: () => Promise<T[]>): {
  items: T[] | null;
  error: unknown;
  reload: () => void;
} {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(() => {
    load()
      .then((list) => {
        setItems(list);
        setError(null);
      })
      .catch((err: unknown) => setError(err));
  }, [load]);
  useEffect(reload, [reload]);
  return { items, error, reload };
}
