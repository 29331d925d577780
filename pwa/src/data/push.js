// Web Push on this device: ask for permission, subscribe with the server's key (RFC 8292
// VAPID), hand the subscription to /api/push/subscriptions, and undo both. Every failure
// becomes a PushError with a sentence to show; nothing fails silently.
import { t } from '../i18n.js';
import { api, ApiError } from './api.js';
import { SUBSCRIBE_TIMEOUT_MS, iosTab, keyBytes, sameKey, withTimeout } from './pushstate.js';

const DECLINED_KEY = 'push-declined';
const READY_TIMEOUT_MS = 10_000;

export class PushError extends Error {}

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

export function permission() {
  return 'Notification' in window ? Notification.permission : 'unsupported';
}

/** iPhone/iPad Safari in a tab: notifications need the app on the Home Screen first. */
export function needsHomeScreen() {
  return iosTab({
    userAgent: navigator.userAgent, platform: navigator.platform, maxTouchPoints: navigator.maxTouchPoints,
    standalone: navigator.standalone, displayStandalone: window.matchMedia?.('(display-mode: standalone)').matches,
  });
}

/** "Nanti saja" on this device: not asked again after the next submissions (the devices screen still offers it). */
export function declined() {
  return localStorage.getItem(DECLINED_KEY) === '1';
}

export function decline() {
  localStorage.setItem(DECLINED_KEY, '1');
}

async function registration() {
  if (!('serviceWorker' in navigator)) throw new PushError(t('push.unsupported'));
  return withTimeout(navigator.serviceWorker.ready, READY_TIMEOUT_MS, () => new PushError(t('push.no_worker')));
}

/** This browser's subscription, or null. */
export async function localSubscription() {
  if (!pushSupported()) return null;
  try {
    return await (await registration()).pushManager.getSubscription();
  } catch {
    return null;
  }
}

function failure(err, key = 'push.failed') {
  if (err instanceof PushError || err instanceof ApiError) return err;
  console.error(err);
  return new PushError(t(key, { reason: err?.message || String(err) }));
}

/** "Aktifkan notifikasi": permission, subscription, and the server told. Throws a PushError or an ApiError. */
export async function enablePush() {
  if (needsHomeScreen()) throw new PushError(t('push.home_screen'));
  if (!pushSupported()) throw new PushError(t('push.unsupported'));
  if (!navigator.onLine) throw new PushError(t('push.offline'));
  try {
    const answer = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    if (answer !== 'granted') {
      throw new PushError(t(answer === 'denied' ? 'push.denied' : 'push.not_answered'));
    }
    const [{ public_key: publicKey }, reg] = await Promise.all([api('/api/push/key'), registration()]);
    const key = keyBytes(publicKey);
    let subscription = await reg.pushManager.getSubscription();
    // made with an earlier server key: it would never receive the new key's messages
    if (subscription && !sameKey(subscription.options?.applicationServerKey, key)) {
      await subscription.unsubscribe();
      subscription = null;
    }
    if (!subscription) {
      subscription = await withTimeout(reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
        SUBSCRIBE_TIMEOUT_MS, () => new PushError(t('push.timeout')));
    }
    await api('/api/push/subscriptions', { method: 'POST', body: subscription.toJSON() });
    localStorage.removeItem(DECLINED_KEY);
    return true;
  } catch (err) {
    throw failure(err);
  }
}

/** Turn notifications off on this device: the server forgets the subscription, then the browser does. */
export async function disablePush() {
  try {
    await api('/api/push/subscriptions', { method: 'DELETE' });
    const subscription = await localSubscription();
    if (subscription) await subscription.unsubscribe();
  } catch (err) {
    throw failure(err, 'push.off_failed');
  }
}

/** On sign-out: the server deletes its copy itself; the browser lets go of its own. */
export async function unsubscribeLocally() {
  const subscription = await localSubscription();
  if (subscription) await subscription.unsubscribe().catch(() => {});
}

/** What the devices screen shows: {enabled, permission, local}. `enabled` is the server's word for this device. */
export async function pushStatus() {
  const [server, local] = await Promise.all([api('/api/push/subscriptions'), localSubscription()]);
  return { enabled: Boolean(server?.enabled) && Boolean(local), server: Boolean(server?.enabled), local: Boolean(local), permission: permission() };
}
