import { call } from '../live/http.js';

/** Whether this phone sends me notifications: not possible here, blocked in the browser, off or on. */
export type PushStatus = 'unsupported' | 'denied' | 'off' | 'on';

/** The service worker's scope: the field app only, so the console is never controlled by it. */
export const FIELD_SCOPE = '/field';
export const FIELD_WORKER_URL = '/field-sw.js';

function supported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** Registers the field app's service worker (offline start, notifications); resolves with its registration. */
export async function registerWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  try {
    return await navigator.serviceWorker.register(FIELD_WORKER_URL, { scope: FIELD_SCOPE });
  } catch (err) {
    console.warn('field: the service worker could not be registered', err);
    return null;
  }
}

async function readyRegistration(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  return (await navigator.serviceWorker.getRegistration(FIELD_SCOPE)) ?? null;
}

/** The current state, from the browser's permission and this registration's subscription. */
export async function pushStatus(): Promise<PushStatus> {
  if (!supported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const registration = await readyRegistration();
  if (!registration) return 'unsupported';
  return (await registration.pushManager.getSubscription()) ? 'on' : 'off';
}

/** A VAPID public key in URL-safe base64 (RFC 8292) as the bytes `applicationServerKey` takes. */
export function vapidKeyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64);
  const bytes = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Asks for permission, subscribes with the server's VAPID key and hands the subscription to the server. */
export async function turnOnPush(): Promise<PushStatus> {
  if (!supported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return permission === 'denied' ? 'denied' : 'off';
  const registration = (await readyRegistration()) ?? (await registerWorker());
  if (!registration) return 'unsupported';
  await navigator.serviceWorker.ready;
  const { publicKey } = await call<{ publicKey: string }>('GET', '/push/vapid-public-key');
  const subscription = await registration.pushManager.subscribe({
    userVisibleOnly: true,
    applicationServerKey: vapidKeyBytes(publicKey),
  });
  await call('POST', '/push/subscriptions', { body: subscription.toJSON() });
  return 'on';
}

/** Tells the server to forget this phone, then drops the subscription in the browser. */
export async function turnOffPush(): Promise<PushStatus> {
  const registration = await readyRegistration();
  const subscription = await registration?.pushManager.getSubscription();
  if (subscription) {
    await call('DELETE', '/push/subscriptions', { body: subscription.toJSON() });
    await subscription.unsubscribe();
  }
  return 'off';
}
