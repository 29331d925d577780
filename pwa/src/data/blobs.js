// The photos and documents of the person's drafts, kept on the device until the server confirms
// them: a local-only PouchDB (`mpp-blobs-<account id>`, never replicated) with one doc
// `blob:<sha256>` per file, the bytes as its attachment, which drafts and fields name it, and
// whether the server confirmed or refused it. Drafts hold only {sha256, size, mime, field}.
import { localDb } from './db.js';
import { lastAccountId } from './me.js';
import { blobId, bytesReleasable, fileRefs, fileValue, hex } from './blobstate.js';
import { refsAfterPurge } from './purgestate.js';

const dbs = new Map();
let queue = Promise.resolve();
const listeners = new Set();

function now() {
  return new Date().toISOString();
}

export function blobsDb(accountId = lastAccountId()) {
  if (!accountId) return null;
  if (!dbs.has(accountId)) dbs.set(accountId, localDb(`mpp-blobs-${accountId}`));
  return dbs.get(accountId);
}

async function requireDb() {
  const db = blobsDb();
  if (!db) throw new Error('no account on this device');
  return db;
}

// one write at a time, so two quick changes to one record never race into a 409
function serial(fn) {
  const next = queue.catch(() => {}).then(fn);
  queue = next.catch(() => {});
  return next;
}

/** fn(sha256, record) after each change of a record: screens redraw, uploads start. */
export function onBlobChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed(sha256, rec) {
  for (const fn of listeners) {
    try { fn(sha256, rec); } catch (err) { console.error(err); }
  }
}

async function getOrNull(db, id, opts) {
  try {
    return await db.get(id, opts);
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

export async function sha256Hex(blob) {
  return hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
}

/**
 * Keep a file for one draft field; returns the draft's value `{sha256, size, mime}`. The same
 * bytes are stored once, however many drafts name them.
 */
export async function storeFile(blob, { draftId, field, mime = blob.type, filename = '' }) {
  const sha256 = await sha256Hex(blob);
  const db = await requireDb();
  const rec = await serial(async () => {
    const doc = (await getOrNull(db, blobId(sha256))) || {
      _id: blobId(sha256), sha256, size: blob.size, mime, filename, refs: [], state: 'local', error: null,
      upload_url: null, created_at: now(),
    };
    if (!doc.refs.some((r) => r.draft === draftId && r.field === field)) doc.refs.push({ draft: draftId, field });
    if (!doc._attachments?.file) doc._attachments = { file: { content_type: mime, data: blob } };
    if (doc.state === 'refused') { doc.state = 'local'; doc.error = null; } // picked again: try again
    doc.updated_at = now();
    await db.put(doc);
    return doc;
  });
  changed(sha256, rec);
  return fileValue({ sha256, size: blob.size, mime, field });
}

export class ChecksumMismatch extends Error {}

/**
 * Keep a file the server issued or holds for the person (an application's output PDF, a wallet
 * document), fetched from `/blobs/<sha256>`, so it opens offline. The bytes must hash to the
 * sha256 the server named. No draft names it and it is already on the server ('confirmed'), so
 * uploads, releases and purges leave it alone.
 */
export async function keepServerFile(blob, { sha256, mime = blob.type, filename = '' }) {
  if ((await sha256Hex(blob)) !== sha256) throw new ChecksumMismatch(sha256);
  const db = await requireDb();
  const rec = await serial(async () => {
    const doc = (await getOrNull(db, blobId(sha256))) || {
      _id: blobId(sha256), sha256, size: blob.size, mime, filename, refs: [], error: null, upload_url: null, created_at: now(),
    };
    if (doc._attachments?.file && doc.state === 'confirmed') return null;
    doc.state = 'confirmed';
    doc.from_server = true;
    doc._attachments = { file: { content_type: mime, data: blob } };
    doc.updated_at = now();
    await db.put(doc);
    return doc;
  });
  if (rec) changed(sha256, summary(rec));
}

/** The draft field no longer names this file; bytes nobody names and the server never had go. */
export async function forgetRef(sha256, { draftId, field }) {
  const db = await requireDb();
  await serial(async () => {
    const doc = await getOrNull(db, blobId(sha256));
    if (!doc) return;
    doc.refs = doc.refs.filter((r) => !(r.draft === draftId && r.field === field));
    if (!doc.refs.length && doc.state !== 'confirmed') await db.remove(doc);
    else await db.put(doc);
  });
  changed(sha256, null);
}

/** Purged drafts no longer name their files; a file nobody else names leaves this device (this
 *  database never replicates, so removing its record touches nothing on the server). */
export async function forgetDrafts(draftIds) {
  const db = await requireDb();
  const res = await db.allDocs({ include_docs: true, startkey: 'blob:', endkey: 'blob:\ufff0' });
  for (const row of res.rows) {
    if (!row.doc?.refs?.some((r) => draftIds.includes(r.draft))) continue;
    await serial(async () => {
      const doc = await getOrNull(db, row.id);
      if (!doc) return;
      doc.refs = refsAfterPurge(doc.refs, draftIds);
      if (!doc.refs.length) await db.remove(doc);
      else await db.put(doc);
    });
    changed(row.doc.sha256, null);
  }
}

function summary(doc) {
  return {
    sha256: doc.sha256, size: doc.size, mime: doc.mime, filename: doc.filename, refs: doc.refs, state: doc.state,
    error: doc.error, upload_url: doc.upload_url, has_bytes: Boolean(doc._attachments?.file),
  };
}

/** Records (without bytes) by sha256, for the given sha256s or all. */
export async function blobRecords(shas = null) {
  const db = blobsDb();
  if (!db) return {};
  const d = await db;
  const res = shas
    ? await d.allDocs({ keys: [...new Set(shas)].map(blobId), include_docs: true })
    : await d.allDocs({ include_docs: true, startkey: 'blob:', endkey: 'blob:\ufff0' });
  const out = {};
  for (const row of res.rows) if (row.doc) out[row.doc.sha256] = summary(row.doc);
  return out;
}

/** The bytes of a file, or null when the device no longer holds them. */
export async function fileBytes(sha256) {
  const db = await requireDb();
  try {
    return await db.getAttachment(blobId(sha256), 'file');
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

async function update(sha256, fn) {
  const db = await requireDb();
  const rec = await serial(async () => {
    const doc = await getOrNull(db, blobId(sha256));
    if (!doc || fn(doc) === false) return null;
    doc.updated_at = now();
    await db.put(doc);
    return doc;
  });
  if (rec) changed(sha256, summary(rec));
}

export function markConfirmed(sha256) {
  return update(sha256, (doc) => { doc.state = 'confirmed'; doc.error = null; doc.upload_url = null; });
}

export function markRefused(sha256, error) {
  return update(sha256, (doc) => { doc.state = 'refused'; doc.error = error; });
}

export function saveUploadUrl(sha256, url) {
  return update(sha256, (doc) => { if (doc.upload_url === url) return false; doc.upload_url = url; return true; });
}

/**
 * Remove the bytes of a draft's files once the server confirmed all of them and the status doc
 * says the application was received; the records stay so the draft still shows its files.
 */
export async function releaseBytes(draft, status) {
  // a wallet document's bytes were never the draft's: a copy kept here (ui/wallet.js) stays
  const shas = [...new Set(fileRefs(draft).filter((r) => !r.wallet).map((r) => r.sha256))];
  if (!shas.length) return 0;
  const records = await blobRecords(shas);
  if (!bytesReleasable(draft, status, records)) return 0;
  const db = await requireDb();
  let removed = 0;
  for (const sha256 of shas) {
    await serial(async () => {
      const doc = await getOrNull(db, blobId(sha256));
      if (!doc?._attachments?.file || doc.state !== 'confirmed') return;
      delete doc._attachments;
      await db.put(doc);
      removed += 1;
    });
  }
  return removed;
}
