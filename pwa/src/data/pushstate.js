// Pure rules of Web Push on the device: what a push message shows, where tapping it leads,
// whether to offer notifications after a submission, and the server key as bytes. The service
// worker imports this too, so it has no DOM, no PouchDB and no catalog: node --test runs it.

// The service worker carries no message catalog; the server writes title and body in
// Indonesian, and only a message it could not read falls back to these.
export const FALLBACK_TITLE = 'MPP Digital';
export const FALLBACK_BODY = 'Ada kabar baru tentang permohonan Anda';
// some browsers never settle pushManager.subscribe() when their push service is unreachable
export const SUBSCRIBE_TIMEOUT_MS = 20_000;
// `tag`: a newer message about the same application replaces the older one
export const TAG_PREFIX = 'permohonan-';
// application states a push message may carry (server/push sends the application's state)
export const PUSH_STATES = ['received', 'in_review', 'needs_revision', 'resubmitted', 'approved', 'completed', 'rejected', 'withdrawn'];

const text = (v, max) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, max) : null);

/** The screen a tracking number opens: `/#/nomor/<n>`. */
export function trackingUrl(n) {
  return n ? `/#/nomor/${encodeURIComponent(n)}` : '/#/kotak-masuk';
}

/**
 * What a push message shows, from its decrypted text `{"n", "s", "title", "body"}`. Anything
 * else (empty, not JSON, missing fields) still shows a notification: a message that shows
 * nothing teaches the browser to stop delivering them (userVisibleOnly).
 */
export function notificationFor(raw, icon = null, badge = null) {
  let payload = null;
  try {
    payload = typeof raw === 'string' && raw ? JSON.parse(raw) : null;
  } catch {
    payload = null;
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) payload = {};
  const n = text(payload.n, 64);
  const s = PUSH_STATES.includes(payload.s) ? payload.s : null;
  const title = text(payload.title, 120);
  const body = text(payload.body, 400);
  const options = {
    body: title ? (body || '') : FALLBACK_BODY,
    lang: 'id',
    data: { n, s },
    ...(n ? { tag: TAG_PREFIX + n, renotify: true } : {}),
    ...(icon ? { icon } : {}),
    ...(badge ? { badge } : {}),
  };
  return { title: title || FALLBACK_TITLE, options };
}

/** A base64url string (the server's P-256 public key) as the bytes applicationServerKey takes. */
export function keyBytes(base64url) {
  const b64 = String(base64url).replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Whether a subscription was made with this server key (an old one cannot receive the new key's pushes). */
export function sameKey(buffer, bytes) {
  if (!buffer) return false;
  const a = new Uint8Array(buffer);
  return a.length === bytes.length && a.every((x, i) => x === bytes[i]);
}

/** iPhone or iPad Safari in a browser tab: Web Push works only once the app is on the Home Screen. */
export function iosTab({ userAgent = '', platform = '', maxTouchPoints = 0, standalone = false, displayStandalone = false }) {
  const ios = /iPad|iPhone|iPod/.test(userAgent) || (platform === 'MacIntel' && maxTouchPoints > 1);
  return ios && standalone !== true && !displayStandalone;
}

/** Staff (a field officer filing for someone) are never asked after a submission. */
export function isStaff(account) {
  return (account?.roles || []).some((r) => r !== 'citizen');
}

/**
 * After a person's own submission: 'ask' (the card with "Aktifkan notifikasi"), 'home_screen'
 * (iOS in a tab: add to the Home Screen first) or null (nothing to say).
 */
export function offerAfterSubmit({ account, supported, permission, declined, ios }) {
  if (!account || isStaff(account) || declined) return null;
  if (ios) return 'home_screen';
  if (!supported || permission !== 'default') return null;
  return 'ask';
}

/** The promise, or a rejection with `error()` after `ms`. */
export function withTimeout(promise, ms, error) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(error()), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
