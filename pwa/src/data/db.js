// The only module that opens PouchDB. PouchDB's browser build (a classic script) is loaded on
// first use, so the shell paints before it arrives; the service worker precaches it for offline use.
const POUCH_URL = '/vendor/pouchdb.min.js';
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

async function fetchScript() {
  const response = await fetch(POUCH_URL);
  if (!response.ok || !response.body) throw new Error(`PouchDB: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || null;
  const reader = response.body.getReader();
  const parts = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    tell(loaded, total);
  }
  return new Blob(parts, { type: 'text/javascript' });
}

export function loadPouch() {
  if (!loading) {
    loading = (async () => {
      if (window.PouchDB) return window.PouchDB;
      const url = URL.createObjectURL(await fetchScript());
      try {
        await new Promise((resolve, reject) => {
          const script = document.createElement('script');
          script.src = url;
          script.onload = resolve;
          script.onerror = () => reject(new Error('PouchDB could not be loaded'));
          document.head.append(script);
        });
      } finally {
        URL.revokeObjectURL(url);
      }
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
