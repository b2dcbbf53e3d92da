import { useEffect, useState } from 'react';
import type { ItemKind } from './field-items.js';

/** Where the field app is: the list, or one item (`/field/alert/<id>`, `/field/report/<id>`). */
export type FieldRoute = { page: 'list' } | { page: 'item'; kind: ItemKind; id: string };

/** Reads a path of the app; anything else is the list. */
export function parseRoute(pathname: string): FieldRoute {
  const match = /^\/field\/(alert|report)s?\/([^/]+)\/?$/.exec(pathname);
  if (!match) return { page: 'list' };
  return { page: 'item', kind: match[1] as ItemKind, id: decodeURIComponent(match[2] ?? '') };
}

/** The path of an item's page. */
export function itemPath(kind: ItemKind, id: string): string {
  return `/field/${kind}/${encodeURIComponent(id)}`;
}

const listeners = new Set<() => void>();

/** Moves within the app without reloading it (the back button still works). */
export function navigate(path: string): void {
  if (window.location.pathname === path) return;
  window.history.pushState(null, '', path);
  window.scrollTo(0, 0);
  for (const listener of listeners) listener();
}

/** React hook: the current route, following links and the back button. */
export function useRoute(): FieldRoute {
  const [route, setRoute] = useState(() => parseRoute(window.location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(window.location.pathname));
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return route;
}
