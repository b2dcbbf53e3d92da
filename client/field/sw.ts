/*
 * The field app's service worker (scope /field): starts the app with no connection from a cached
 * shell, shows Web Push notifications, and acknowledges from the notification's "ack" button
 * without opening the app. It imports no module, so the built file also runs as a classic worker.
 * The client project is typed for pages (DOM), so the few worker types used are declared here.
 */
import type { PushPayload } from '../../contract/field.js';

interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface PushEvent extends ExtendableEvent {
  data: { json(): unknown; text(): string } | null;
}
interface NotificationEvent extends ExtendableEvent {
  action: string;
  notification: Notification;
}
interface WindowClient {
  url: string;
  focus(): Promise<WindowClient>;
  navigate(url: string): Promise<WindowClient | null>;
  postMessage(message: unknown): void;
}
interface WorkerScope {
  location: Location;
  registration: ServiceWorkerRegistration;
  clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClient[]>;
    openWindow(url: string): Promise<WindowClient | null>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
  addEventListener(type: 'push', listener: (event: PushEvent) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEvent) => void): void;
}
/** Notification options as service workers take them (the page typings leave out `actions`). */
type WorkerNotificationOptions = NotificationOptions & { actions?: { action: string; title: string }[] };

const worker = self as unknown as WorkerScope;
const CACHE = 'ioc-field-shell-v1';
const SHELL_URL = '/field';
const STATIC = ['/field.webmanifest', '/field-icons/icon-192.png', '/field-icons/icon-512.png'];
const ICON = '/field-icons/icon-192.png';

/** The hashed assets a page of the app loads (its script, styles and preloaded chunks). */
function assetsOf(html: string): string[] {
  return [...new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? ''))].filter(Boolean);
}

/** Stores the app page and what it loads; drops assets of older builds. */
async function cacheShell(html: string): Promise<void> {
  const cache = await caches.open(CACHE);
  const assets = assetsOf(html);
  await cache.put(SHELL_URL, new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } }));
  await cache.addAll([...assets, ...STATIC].filter((url) => url !== ''));
  const keep = new Set(assets);
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith('/assets/') && !keep.has(path)) await cache.delete(request);
  }
}

worker.addEventListener('install', (event) => {
  event.waitUntil(
    fetch(SHELL_URL, { credentials: 'same-origin' })
      .then((response) => response.text())
      .then(cacheShell)
      .then(() => worker.skipWaiting()),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('ioc-field-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => worker.clients.claim()),
  );
});

/** Pages of the app: the network first (a new build), the cached shell when there is no connection. */
async function page(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const html = await response.clone().text();
      void cacheShell(html).catch(() => undefined);
    }
    return response;
  } catch {
    const cached = await caches.match(SHELL_URL);
    return cached ?? Response.error();
  }
}

/** Hashed assets and icons never change under one URL: the cache first. */
async function asset(request: Request): Promise<Response> {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== worker.location.origin) return;
  // API calls go to the network untouched: the page queues its actions itself when they fail.
  if (request.mode === 'navigate' && (url.pathname === SHELL_URL || url.pathname.startsWith(`${SHELL_URL}/`))) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith('/assets/') || STATIC.includes(url.pathname)) {
    event.respondWith(asset(request));
  }
});

function readPayload(event: PushEvent): PushPayload | null {
  try {
    const data = event.data?.json() as Partial<PushPayload> | undefined;
    if (!data || typeof data.title !== 'string') return null;
    return {
      kind: data.kind ?? 'test',
      id: String(data.id ?? ''),
      title: data.title,
      body: typeof data.body === 'string' ? data.body : '',
      url: typeof data.url === 'string' ? data.url : SHELL_URL,
      ...(typeof data.ackToken === 'string' ? { ackToken: data.ackToken } : {}),
    };
  } catch {
    return null;
  }
}

/** Button labels in the phone's language (a worker cannot read the page's choice); Vietnamese by default. */
function english(): boolean {
  return self.navigator.language.toLowerCase().startsWith('en');
}

async function tellPages(message: unknown): Promise<void> {
  for (const client of await worker.clients.matchAll({ type: 'window', includeUncontrolled: false })) {
    client.postMessage(message);
  }
}

worker.addEventListener('push', (event) => {
  const payload = readPayload(event);
  if (!payload) return;
  const options: WorkerNotificationOptions = {
    body: payload.body,
    tag: `${payload.kind}/${payload.id}`,
    data: payload,
    icon: ICON,
    badge: ICON,
    requireInteraction: payload.kind !== 'test',
    actions: payload.ackToken ? [{ action: 'ack', title: english() ? 'Acknowledge' : 'Xác nhận' }] : [],
  };
  event.waitUntil(Promise.all([worker.registration.showNotification(payload.title, options), tellPages({ type: 'refresh' })]));
});

/** The `ack` button: acknowledges through the signed token, no window opened; says so when it failed. */
async function ackFromNotification(payload: PushPayload): Promise<void> {
  let ok = false;
  try {
    const response = await fetch('/api/v1/push/ack', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: payload.ackToken }),
    });
    ok = response.ok;
  } catch {
    ok = false;
  }
  if (ok) {
    await tellPages({ type: 'refresh' });
    return;
  }
  await worker.registration.showNotification(english() ? 'Not acknowledged' : 'Chưa xác nhận được', {
    body: english() ? `Open the app to acknowledge: ${payload.title}` : `Mở ứng dụng để xác nhận: ${payload.title}`,
    tag: `${payload.kind}/${payload.id}`,
    data: { ...payload, ackToken: undefined },
    icon: ICON,
  });
}

/** Any other tap: an open window of the field app goes to the item (never the console's), else a new one opens. */
async function openItem(url: string): Promise<void> {
  const target = new URL(url, worker.location.origin).href;
  const windows = await worker.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const existing = windows.find((w) => new URL(w.url).pathname.startsWith(SHELL_URL));
  if (existing) {
    await existing.focus();
    if (existing.url !== target) await existing.navigate(target);
    return;
  }
  await worker.clients.openWindow(target);
}

worker.addEventListener('notificationclick', (event) => {
  const payload = event.notification.data as PushPayload | undefined;
  event.notification.close();
  if (!payload) return;
  if (event.action === 'ack' && payload.ackToken) event.waitUntil(ackFromNotification(payload));
  else event.waitUntil(openItem(payload.url));
});
