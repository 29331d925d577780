// Service worker: precaches the app shell with revisioned URLs so the app opens with no network.
// It handles GET requests for the shell and /assets/ only; every other request (all
// POST/PUT/DELETE, /api, /sync, /blobs) goes straight to the network untouched.
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { CacheFirst } from 'workbox-strategies';

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
