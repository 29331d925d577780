// Service worker: precaches the app shell with revisioned URLs so the app opens with no network.
// It handles GET requests for the shell and /assets/ only; every other request (all
// POST/PUT/DELETE, /api, /sync, /blobs) goes straight to the network untouched. It also shows
// push messages about the person's applications and opens the app when one is tapped.
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { CacheFirst } from 'workbox-strategies';
import { notificationFor, trackingUrl } from './data/pushstate.js';

// Filled in by pwa/build.mjs: [{url, revision}] of every shell file.
precacheAndRoute(self.__PRECACHE_MANIFEST, { directoryIndex: 'index.html', ignoreURLParametersMatching: [/^source$/] });
cleanupOutdatedCaches();

// Chunks left out of the precache (pwa/build.mjs: upload client, photo compression, officer
// screens, export) are kept once fetched; their hashed names never change, so cache-first is
// exact. Old ones are dropped when a new version activates.
const RUNTIME = 'mpp-assets';
registerRoute(({ url, request }) => request.method === 'GET' && url.origin === self.location.origin && url.pathname.startsWith('/assets/'),
  new CacheFirst({ cacheName: RUNTIME }));
self.addEventListener('activate', (event) => {
  const current = new Set(self.__PRECACHE_MANIFEST.map((e) => e.url).concat(self.__DEFERRED_ASSETS));
  event.waitUntil(caches.open(RUNTIME).then(async (cache) => {
    for (const request of await cache.keys()) {
      if (!current.has(new URL(request.url).pathname)) await cache.delete(request);
    }
  }));
});

// A new version waits (no skipWaiting on install) until the page asks, after the person tapped "Perbarui".
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

// Web Push (RFC 8030): the server sends {n, s, title, body} about one application. A message
// always shows a notification (userVisibleOnly), one per application (`tag`), newest on top.
self.addEventListener('push', (event) => {
  let raw = null;
  try {
    raw = event.data ? event.data.text() : null;
  } catch { /* unreadable: the generic notification below */ }
  const { title, options } = notificationFor(raw, '/icons/icon-192.png');
  event.waitUntil(self.registration.showNotification(title, options));
});

// Tapping opens the application (`#/nomor/<n>`) in the app's window if one is open, else a new one.
async function openFromNotification(notification) {
  notification.close();
  const url = new URL(trackingUrl(notification.data?.n), self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const client = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (client) {
    try {
      const navigated = await client.navigate(url);
      await (navigated || client).focus().catch(() => {}); // focus needs the tap's activation; some browsers refuse
      return;
    } catch { /* not controlled by this worker: open a window instead */ }
  }
  await self.clients.openWindow(url);
}

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(openFromNotification(event.notification));
});
