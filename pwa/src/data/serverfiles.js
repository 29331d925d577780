// Files the server holds for the person and the device keeps to open offline: the document a
// completed application issued (its status doc's `output`) and wallet documents. Fetched from
// `GET /blobs/<sha256>` while online, checked against that sha256, kept in the local blob store
// (data/blobs.js). Outputs are fetched on their own once their status doc arrives; wallet
// documents when first opened.
import { ChecksumMismatch, blobRecords, fileBytes, keepServerFile } from './blobs.js';

export { ChecksumMismatch };
import { draftsDb, onLocalChange } from './drafts.js';
import { STATUS_PREFIX, statusOutput } from './draftstate.js';
import { lastAccountId } from './me.js';

const RETRY_MS = 60 * 1000;
let running = null;
let again = false;
let retryTimer = null;

/** Fetch one file from the server and keep it; throws on a refusal, no network or a wrong hash. */
export async function fetchServerFile({ sha256, mime }) {
  const res = await fetch(`/blobs/${sha256}`, { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
  const blob = await res.blob();
  await keepServerFile(blob, { sha256, mime: mime || blob.type });
  return blob;
}

/** The bytes of a server file: the device's copy, else fetched now when online; null offline. */
export async function serverFile(ref) {
  const bytes = await fileBytes(ref.sha256);
  if (bytes) return bytes;
  if (!navigator.onLine) return null;
  return fetchServerFile(ref);
}

/** Whether the device holds the bytes (so the file opens offline). */
export async function hasServerFile(sha256) {
  const rec = (await blobRecords([sha256]))[sha256];
  return Boolean(rec?.has_bytes);
}

/** Show a file: a new tab with its object URL, or a download when the browser blocks the tab. */
export function openFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const win = window.open(url, '_blank');
  if (!win) {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
  }
  setTimeout(() => URL.revokeObjectURL(url), 60 * 1000);
}

/** A file name from the document's number or title, safe on every system. */
export function outputFilename(output) {
  const base = (output.number || output.title || 'dokumen').replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
  return `${base || 'dokumen'}.pdf`;
}

async function round() {
  if (!lastAccountId() || !draftsDb()) return 'idle';
  const db = await draftsDb();
  const res = await db.allDocs({ include_docs: true, startkey: STATUS_PREFIX, endkey: `${STATUS_PREFIX}\ufff0` });
  const outputs = res.rows.map((r) => statusOutput(r.doc)).filter(Boolean);
  if (!outputs.length) return 'idle';
  const records = await blobRecords(outputs.map((o) => o.sha256));
  for (const output of outputs) {
    if (records[output.sha256]?.has_bytes) continue;
    if (!navigator.onLine) return 'offline';
    try {
      await fetchServerFile(output);
    } catch (err) {
      console.warn('issued document not fetched yet', err.status || err.name); // no names or numbers in logs
      return 'retry';
    }
  }
  return 'idle';
}

/** Fetch the issued documents the device does not hold yet; a call during a round adds one more. */
export function startServerFiles() {
  if (running) { again = true; return running; }
  if (!navigator.onLine) return Promise.resolve('offline');
  clearTimeout(retryTimer);
  running = round()
    .catch((err) => { console.error(err); return 'retry'; })
    .then((outcome) => {
      running = null;
      if (outcome === 'retry') retryTimer = setTimeout(() => startServerFiles(), RETRY_MS);
      if (again) { again = false; return startServerFiles(); }
      return outcome;
    });
  return running;
}

let wired = false;
function wire() {
  if (wired) return;
  wired = true;
  window.addEventListener('online', () => startServerFiles());
  let timer = null;
  // a status doc pulled from the server may carry a new output
  onLocalChange((id) => {
    if (!id || !id.startsWith(STATUS_PREFIX)) return;
    clearTimeout(timer);
    timer = setTimeout(() => startServerFiles(), 500);
  });
}
wire();
