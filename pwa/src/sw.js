// Service worker: precaches the app shell with revisioned URLs so the app opens with no network.
// It handles GET requests for precached files only; every other request (all POST/PUT/DELETE,
// /api, /sync, /blobs) goes straight to the network untouched.
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';

// Filled in by pwa/build.mjs: [{url, revision}] of every shell file.
precacheAndRoute(self.__PRECACHE_MANIFEST, { directoryIndex: 'index.html', ignoreURLParametersMatching: [/^source$/] });
cleanupOutdatedCaches();

// A new version waits (no skipWaiting on install) until the page asks, after the person tapped "Perbarui".
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});
