// Sends the photos and documents of submitted drafts to `/blobs/`, one file at a time, through
// resumable uploads (TUS 1.0 core + creation, tus-js-client): a cut connection or a reload
// resends at most one 256 KB chunk. `HEAD /blobs/<sha256>` first: a file the server already
// holds for this person is not sent again. A refusal (`blob.*`, JSON {code, message}) is kept
// on the file's record and shown on the draft; the bytes stay on the device. Restarts on app
// open, on `online`, and after a failed round with back-off, like the PouchDB sync in sync.js.
import { Upload } from 'tus-js-client';
import { lastAccountId } from './me.js';
import { draftsDb, onLocalChange } from './drafts.js';
import { DRAFT_PREFIX, STATUS_PREFIX, statusIdFor } from './draftstate.js';
import { CHUNK_BYTES, RETRY_DELAYS_MS, uploadPlan, uploadRefusal } from './blobstate.js';
import { blobRecords, fileBytes, markConfirmed, markRefused, releaseBytes, saveUploadUrl } from './blobs.js';

const ENDPOINT = '/blobs/uploads';
const EXT = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'application/pdf': 'pdf' };

let running = null;
let again = false;
let failures = 0;
let retryTimer = null;
let current = null; // {upload, finish} under way, so `offline` can stop it cleanly

function delayAfter(n) {
  return RETRY_DELAYS_MS[Math.min(n, RETRY_DELAYS_MS.length - 1)] || 60000;
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  failures += 1;
  retryTimer = setTimeout(() => startUploads(), Math.max(3000, delayAfter(failures)));
}

async function headBlob(sha256) {
  try {
    const res = await fetch(`/blobs/${sha256}`, { method: 'HEAD', credentials: 'same-origin', cache: 'no-store' });
    return res.status;
  } catch {
    return 0;
  }
}

function sendOne(item, rec, bytes) {
  const accountId = lastAccountId();
  return new Promise((resolve) => {
    let upload = null;
    let done = false;
    const finish = (outcome) => {
      if (done) return;
      done = true;
      if (current?.upload === upload) current = null;
      resolve(outcome);
    };
    upload = new Upload(bytes, {
      endpoint: new URL(ENDPOINT, location.origin).href,
      uploadUrl: rec.upload_url || null,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_DELAYS_MS,
      metadata: {
        sha256: item.sha256, mime: item.mime, field: item.field,
        filename: rec.filename || `${item.field}.${EXT[item.mime] || 'bin'}`,
      },
      // the content hash names the upload: same bytes, same upload, whatever the file object
      fingerprint: async () => `mpp-blob-${accountId}-${item.sha256}`,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onUploadUrlAvailable: () => { saveUploadUrl(item.sha256, upload.url).catch(console.error); },
      onShouldRetry: (err) => {
        const status = err.originalResponse?.getStatus?.() || 0;
        return !(status >= 400 && status < 500 && status !== 409 && status !== 423);
      },
      onSuccess: () => { markConfirmed(item.sha256).then(() => finish('ok'), () => finish('retry')); },
      onError: (err) => {
        const status = err.originalResponse?.getStatus?.() || 0;
        if (status === 401) { finish('sign_in'); return; }
        const refusal = uploadRefusal(status, err.originalResponse?.getBody?.());
        if (refusal) {
          markRefused(item.sha256, refusal).then(() => finish('refused'), () => finish('retry'));
          return;
        }
        console.warn('upload stopped', err.message);
        finish(navigator.onLine ? 'retry' : 'offline');
      },
    });
    current = { upload, finish };
    const begin = rec.upload_url ? Promise.resolve() : upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
    });
    begin.catch(() => {}).then(() => upload.start());
  });
}

async function submittedDrafts() {
  const db = await draftsDb();
  const res = await db.allDocs({ include_docs: true, startkey: DRAFT_PREFIX, endkey: `${DRAFT_PREFIX}\ufff0` });
  return { db, drafts: res.rows.map((r) => r.doc).filter((d) => d && !d._deleted && d.state === 'submitted') };
}

// bytes leave the device only after the server confirmed them and received the application
async function release(db, drafts) {
  for (const draft of drafts) {
    try {
      const status = await db.get(statusIdFor(draft._id));
      await releaseBytes(draft, status);
    } catch (err) {
      if (err.status !== 404) console.error(err);
    }
  }
}

async function round() {
  if (!lastAccountId() || !draftsDb()) return 'idle';
  const { db, drafts } = await submittedDrafts();
  const plan = uploadPlan(drafts, await blobRecords());
  for (const item of plan) {
    if (!navigator.onLine) return 'offline';
    const rec = (await blobRecords([item.sha256]))[item.sha256];
    if (!rec || rec.state !== 'local') continue;
    const head = await headBlob(item.sha256);
    if (head === 0) return 'offline';
    if (head === 401) return 'sign_in';
    if (head === 200) { await markConfirmed(item.sha256); continue; }
    const bytes = await fileBytes(item.sha256);
    if (!bytes) continue;
    const outcome = await sendOne(item, rec, bytes);
    if (outcome === 'sign_in' || outcome === 'offline' || outcome === 'retry') return outcome;
  }
  await release(db, drafts);
  return 'idle';
}

/** Send what waits, if online; a call during a round makes one more round after it. */
export function startUploads() {
  if (running) { again = true; return running; }
  if (!navigator.onLine) return Promise.resolve('offline');
  clearTimeout(retryTimer);
  running = round()
    .catch((err) => { console.error(err); return 'retry'; })
    .then((outcome) => {
      running = null;
      if (outcome === 'retry') scheduleRetry();
      else if (outcome === 'idle') failures = 0;
      if (again && outcome !== 'sign_in') { again = false; return startUploads(); }
      again = false;
      return outcome;
    });
  return running;
}

let wired = false;
function wire() {
  if (wired) return;
  wired = true;
  window.addEventListener('online', () => { failures = 0; startUploads(); });
  window.addEventListener('offline', () => {
    if (!current) return;
    const { upload, finish } = current;
    upload.abort().catch(() => {});
    finish('offline'); // an aborted upload reports nothing; the next round resumes it
  });
  window.addEventListener('mpp:signed-in', () => startUploads());
  let timer = null;
  // a submit, or a status doc pulled from the server (it may free bytes or unlock a retry)
  onLocalChange((id) => {
    if (!id || !(id.startsWith(DRAFT_PREFIX) || id.startsWith(STATUS_PREFIX))) return;
    clearTimeout(timer);
    timer = setTimeout(() => startUploads(), 300);
  });
}
wire();
