// The only module that opens PouchDB. Its browser build is a classic script (built into
// /assets/ under a content-hashed name, cached for good) loaded on first use, so the shell paints
// before it arrives; the service worker precaches it for offline use.
// The build defines both names; node's unit tests never load PouchDB.
const POUCH_URL = typeof __POUCH_URL__ === 'string' ? __POUCH_URL__ : '/assets/pouchdb.min.js';
const POUCH_BYTES = typeof __POUCH_BYTES__ === 'number' ? __POUCH_BYTES__ : null;
let loading = null;
const watchers = new Set();

/** fn({loaded, total}) in bytes while PouchDB downloads (a first visit on a slow line shows it). */
export function watchPouchLoad(fn) {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

function tell(loaded, total) {
  for (const fn of watchers) {
    try { fn({ loaded, total }); } catch (err) { console.error(err); }
  }
}

// Read once with fetch to count the bytes as they come (the total is the file's size, known at
// build time, since the server may compress it); the file is cached for good, so the script
// element below takes it from the HTTP cache (or the service worker) without a second download.
// No blob: or eval — the page's Content-Security-Policy allows scripts from this origin only.
async function prefetch() {
  const response = await fetch(POUCH_URL);
  if (!response.ok || !response.body) return;
  const reader = response.body.getReader();
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.length;
    tell(loaded, POUCH_BYTES);
  }
}

function addScript() {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = POUCH_URL;
    script.onload = resolve;
    script.onerror = () => reject(new Error('PouchDB could not be loaded'));
    document.head.append(script);
  });
}

export function loadPouch() {
  if (!loading) {
    loading = (async () => {
      if (window.PouchDB) return window.PouchDB;
      if (watchers.size) await prefetch().catch(() => {});  // progress only; the script element decides
      await addScript();
      return window.PouchDB;
    })().catch((err) => { loading = null; throw err; });
  }
  return loading;
}

export async function localDb(name) {
  const PouchDB = await loadPouch();
  return new PouchDB(name, { auto_compaction: true });
}

export async function remoteDb(path) {
  const PouchDB = await loadPouch();
  // skip_setup: never let PouchDB try to create the remote database (the gateway refuses it)
  return new PouchDB(new URL(path, location.origin).href, { skip_setup: true });
}
