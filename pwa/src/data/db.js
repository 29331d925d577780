// The only module that opens PouchDB. PouchDB's browser build (a classic script) is loaded on
// first use, so the shell paints before it arrives; the service worker precaches it for offline use.
const POUCH_URL = '/vendor/pouchdb.min.js';
let loading = null;

export function loadPouch() {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      if (window.PouchDB) { resolve(window.PouchDB); return; }
      const script = document.createElement('script');
      script.src = POUCH_URL;
      script.onload = () => resolve(window.PouchDB);
      script.onerror = () => { loading = null; reject(new Error('PouchDB could not be loaded')); };
      document.head.append(script);
    });
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
