// The person's drafts on this device: one local PouchDB per account (`mpp-<account id>`),
// written first and always, whatever the network does. Writes to one database go through a
// single queue, so two quick changes never race each other into a 409. Nothing here deletes
// local data on sign-out or on a 401; sync.js sends and receives, this module never waits for it.
import { localDb } from './db.js';
import { lastAccountId } from './me.js';
import { visibleValues, validateValues } from '../forms/validate.js';
import {
  DRAFT_PREFIX, MAX_DOC_BYTES, STATUS_PREFIX, draftUuid, draftView, encodedSize, matchingStatus, newDraft,
  resolutionDocs, revisionDiff, statusIdFor, submitted, uuid, withValues,
} from './draftstate.js';
import { WALLET_PREFIX, fileRefs, filesProgress } from './blobstate.js';
import { blobRecords, forgetDrafts } from './blobs.js';
import { PURGED_ID, budgetWarning, purgeList } from './purgestate.js';
import { applicantSteps, filedForMe, isAssisted, withApplicant } from './assisted.js';

// sync bookkeeping kept beside the drafts; _local docs never replicate
const KNOWN_ID = '_local/mpp-known'; // revisions the server has: pushed or pulled
const DENIED_ID = '_local/mpp-denied'; // revisions the gateway refused, with its reason

const dbs = new Map();
const queues = new Map();
const listeners = new Set();

export class DraftLocked extends Error {}
export class DraftTooLarge extends Error {}

function now() {
  return new Date().toISOString();
}

export function currentAccountId() {
  return lastAccountId();
}

/** The local database of an account (the last one seen on this device by default), or null. */
export function draftsDb(accountId = currentAccountId()) {
  if (!accountId) return null;
  if (!dbs.has(accountId)) dbs.set(accountId, localDb(`mpp-${accountId}`));
  return dbs.get(accountId);
}

async function requireDb() {
  const db = draftsDb();
  if (!db) throw new Error('no account on this device');
  return db;
}

// One write at a time per database; a failed write does not block the ones after it.
function serial(accountId, fn) {
  const previous = queues.get(accountId) || Promise.resolve();
  const next = previous.catch(() => {}).then(fn);
  queues.set(accountId, next.catch(() => {}));
  return next;
}

function write(fn) {
  const accountId = currentAccountId();
  if (!accountId) return Promise.reject(new Error('no account on this device'));
  return serial(accountId, async () => fn(await draftsDb(accountId)));
}

/** Screens showing this draft redraw (a file of it went up, or was refused). */
export function notifyChanged(id) {
  changed(id);
}

/** Called after every local write, so screens and the sync bar can refresh. */
export function onLocalChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed(id) {
  for (const fn of listeners) {
    try { fn(id); } catch (err) { console.error(err); }
  }
}

async function getOrNull(db, id, opts = {}) {
  try {
    return await db.get(id, opts);
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

async function readLocal(db, id) {
  return (await getOrNull(db, id)) || { _id: id, docs: {} };
}

export function newDraftId() {
  return DRAFT_PREFIX + uuid();
}

/** A new draft pinned to the service version it starts with; `id` may be made beforehand.
 *  `applicant` is given only for an application a field officer files for someone else. */
export async function createDraft(region, serviceId, version, { id = newDraftId(), values = {}, applicant } = {}) {
  const doc = newDraft({ id, region, serviceId, version, values, now: now(), ...(applicant ? { applicant } : {}) });
  await write((db) => db.put(doc));
  changed(id);
  askPersistentStorage();
  return id;
}

let persistAsked = false;
function askPersistentStorage() {
  if (persistAsked || !navigator.storage?.persist) return;
  persistAsked = true;
  navigator.storage.persisted().then((yes) => yes || navigator.storage.persist()).catch(() => {});
}

export async function getDraft(id) {
  const db = await requireDb();
  return getOrNull(db, id, { conflicts: true });
}

async function marks(db) {
  const [known, denied, purged] = await Promise.all([readLocal(db, KNOWN_ID), readLocal(db, DENIED_ID), readLocal(db, PURGED_ID)]);
  return { known: known.docs, denied: denied.docs, purged: purged.docs };
}

function isPending(draft, known) {
  return !(known[draft._id] || []).includes(draft._rev);
}

/** One draft with everything the screen needs: its status doc, sync marks and the view. */
export async function loadDraft(id) {
  const db = await requireDb();
  const draft = await getOrNull(db, id, { conflicts: true });
  if (!draft) return null;
  const [status, m, records] = await Promise.all([getOrNull(db, statusIdFor(id)), marks(db),
    blobRecords(fileRefs(draft).map((r) => r.sha256))]);
  const entry = { draft, status, pending: isPending(draft, m.known), denied: m.denied[id] || null,
    files: filesProgress(draft, records) };
  return { ...entry, view: draftView(entry), conflicts: draft._conflicts || [] };
}

/** Save changed answers at once; `patch` maps field id to value (empty removes it). */
export async function saveValues(id, patch) {
  const saved = await write(async (db) => {
    const doc = await db.get(id);
    const status = await getOrNull(db, statusIdFor(id));
    const denied = (await readLocal(db, DENIED_ID)).docs[id] || null;
    if (!draftView({ draft: doc, status, denied }).editable) throw new DraftLocked(id);
    const next = withValues(doc, patch, now());
    if (encodedSize(next) > MAX_DOC_BYTES) throw new DraftTooLarge(id);
    const res = await db.put(next);
    return { ...next, _rev: res.rev };
  });
  changed(id);
  return saved;
}

/** Save a change to an assisted draft's applicant (data/assisted.js withApplicant's `patch`). */
export async function saveApplicant(id, patch) {
  const saved = await write(async (db) => {
    const doc = await db.get(id);
    const status = await getOrNull(db, statusIdFor(id));
    const denied = (await readLocal(db, DENIED_ID)).docs[id] || null;
    if (!isAssisted(doc) || !draftView({ draft: doc, status, denied }).editable) throw new DraftLocked(id);
    const at = now();
    const next = { ...doc, applicant: withApplicant(doc.applicant, patch, at), state: 'draft', updated_at: at };
    const res = await db.put(next);
    return { ...next, _rev: res.rev };
  });
  changed(id);
  return saved;
}

const submitting = new Set();

/**
 * "Kirim": check the answers of the shown fields (hidden ones are dropped), then mark the draft
 * submitted with a new submission id. Returns {ok, errors, draft}; a second tap while the first
 * is still being written, or a tap on a draft already sent, changes nothing.
 */
export async function submitDraft(id, fields, today = new Date()) {
  if (submitting.has(id)) return { ok: false, busy: true, errors: {} };
  submitting.add(id);
  try {
    const result = await write(async (db) => {
      const doc = await db.get(id);
      const status = await getOrNull(db, statusIdFor(id));
      const denied = (await readLocal(db, DENIED_ID)).docs[id] || null;
      const view = draftView({ draft: doc, status, denied });
      if (!view.editable) return { ok: doc.state === 'submitted', already: true, errors: {}, draft: doc };
      const values = visibleValues(fields, doc.values || {}, today);
      const errors = validateValues(fields, values, today);
      // an assisted application goes only with the person, the KTP check and the consent recorded
      if (isAssisted(doc) && !applicantSteps(doc.applicant, today instanceof Date ? today.toISOString().slice(0, 10) : String(today)).complete) {
        errors._applicant = [{ code: 'assisted.incomplete' }];
      }
      if (Object.keys(errors).length) return { ok: false, errors, draft: doc };
      const next = submitted(doc, { values, submissionId: uuid(), now: now() });
      if (encodedSize(next) > MAX_DOC_BYTES) throw new DraftTooLarge(id);
      const res = await db.put(next);
      return { ok: true, errors: {}, draft: { ...next, _rev: res.rev } };
    });
    if (result.ok && !result.already) changed(id);
    return result;
  } finally {
    submitting.delete(id);
  }
}

/** Delete a draft that was never sent (nothing on the server depends on it). */
export async function deleteDraft(id) {
  await write(async (db) => {
    const doc = await db.get(id);
    if (doc.state !== 'draft' || doc.submission_id) throw new DraftLocked(id);
    await db.remove(doc);
  });
  changed(id);
}

/** Every draft of the person, newest first, each with its status and view. */
export async function listDrafts() {
  const db = draftsDb();
  if (!db) return [];
  const d = await db;
  const [drafts, statuses, m, records] = await Promise.all([
    d.allDocs({ include_docs: true, conflicts: true, startkey: DRAFT_PREFIX, endkey: `${DRAFT_PREFIX}\ufff0` }),
    d.allDocs({ include_docs: true, startkey: STATUS_PREFIX, endkey: `${STATUS_PREFIX}\ufff0` }),
    marks(d),
    blobRecords(),
  ]);
  const byUuid = new Map(statuses.rows.map((r) => [r.id.slice(STATUS_PREFIX.length), r.doc]));
  return drafts.rows
    .filter((r) => r.doc && !r.doc._deleted && !m.purged[r.id])
    .map((r) => {
      const entry = { draft: r.doc, status: byUuid.get(draftUuid(r.id)) || null,
        pending: isPending(r.doc, m.known), denied: m.denied[r.id] || null, files: filesProgress(r.doc, records) };
      return { ...entry, view: draftView(entry), conflicts: r.doc._conflicts || [] };
    })
    .sort((a, b) => (b.draft.updated_at || '').localeCompare(a.draft.updated_at || ''));
}

/** Applications filed for this person by a field officer: status docs with no draft here. */
export async function listFiledForMe() {
  const db = draftsDb();
  if (!db) return [];
  const d = await db;
  const [drafts, statuses] = await Promise.all([
    d.allDocs({ startkey: DRAFT_PREFIX, endkey: `${DRAFT_PREFIX}\ufff0` }),
    d.allDocs({ include_docs: true, startkey: STATUS_PREFIX, endkey: `${STATUS_PREFIX}\ufff0` }),
  ]);
  return filedForMe(drafts.rows.map((r) => r.id), statuses.rows.map((r) => r.doc));
}

/** The person's wallet documents (`wallet:<id>`, written by the server), newest first. */
export async function listWallet() {
  const db = draftsDb();
  if (!db) return [];
  const d = await db;
  const res = await d.allDocs({ include_docs: true, startkey: WALLET_PREFIX, endkey: `${WALLET_PREFIX}\ufff0` });
  return res.rows.map((r) => r.doc).filter((doc) => doc && !doc._deleted && doc.type === 'wallet')
    .sort((a, b) => (b.verified_at || '').localeCompare(a.verified_at || ''));
}

/** Drafts whose current revision the server does not have yet. */
export async function pendingDrafts() {
  const db = draftsDb();
  if (!db) return [];
  const d = await db;
  const [drafts, m] = await Promise.all([
    d.allDocs({ startkey: DRAFT_PREFIX, endkey: `${DRAFT_PREFIX}\ufff0` }),
    marks(d),
  ]);
  return drafts.rows.filter((r) => !r.value.deleted && !(m.known[r.id] || []).includes(r.value.rev))
    .map((r) => ({ id: r.id, rev: r.value.rev, denied: m.denied[r.id]?.rev === r.value.rev }));
}

// ---- purge and budget ----

/**
 * Let go of finished applications the server marked `purge` and that have nothing unsent: they
 * are listed in `_local/mpp-purged` (never replicated; no `_deleted` revision is ever written,
 * so the server keeps everything) and their photos leave the blob database. Returns their ids.
 */
export async function purgeFinished(accountId = currentAccountId()) {
  if (!accountId) return [];
  const d = await draftsDb(accountId);
  const [drafts, statuses, m] = await Promise.all([
    d.allDocs({ include_docs: true, conflicts: true, startkey: DRAFT_PREFIX, endkey: `${DRAFT_PREFIX}\ufff0` }),
    d.allDocs({ include_docs: true, startkey: STATUS_PREFIX, endkey: `${STATUS_PREFIX}\ufff0` }),
    marks(d),
  ]);
  const byDraft = Object.fromEntries(statuses.rows.filter((r) => r.doc).map((r) => [r.doc.draft_id, r.doc]));
  const ids = purgeList(drafts.rows.filter((r) => r.doc && !m.purged[r.id]).map((r) => r.doc), byDraft, m.known, m.denied);
  if (!ids.length) return [];
  await updateLocal(accountId, PURGED_ID, (purged) => {
    for (const id of ids) purged[id] = { at: now() };
  });
  await forgetDrafts(ids);
  for (const id of ids) changed(id);
  return ids;
}

/** How many docs the person's database holds (drafts and status docs, as the gateway counts) against
 *  the budget `/api/identity/me` gave, with the warning text from 80 %; null when nothing to say. */
export async function budgetUse(budget) {
  const db = draftsDb();
  if (!db || !budget) return null;
  const d = await db;
  const [info, purged] = await Promise.all([d.info(), readLocal(d, PURGED_ID)]);
  // a purged application's draft and status doc stay stored but no longer count (as on the server)
  return budgetWarning(info.doc_count - 2 * Object.keys(purged.docs).length, budget);
}

// ---- sync bookkeeping (called by sync.js) ----

const KEEP_REVS = 20;

async function updateLocal(accountId, localId, fn) {
  return serial(accountId, async () => {
    const db = await draftsDb(accountId);
    const doc = await readLocal(db, localId);
    if (fn(doc.docs) === false) return;
    await db.put(doc);
  });
}

/** The server has these revisions now (written by a push, or arrived by a pull). */
export async function markKnown(accountId, docs) {
  const drafts = docs.filter((d) => d._id?.startsWith(DRAFT_PREFIX) && d._rev);
  if (!drafts.length) {
    for (const d of docs) changed(d._id); // status docs: screens show them at once
    return;
  }
  await updateLocal(accountId, KNOWN_ID, (known) => {
    for (const d of drafts) {
      const revs = known[d._id] || [];
      if (!revs.includes(d._rev)) known[d._id] = [...revs, d._rev].slice(-KEEP_REVS);
    }
  });
  await updateLocal(accountId, DENIED_ID, (denied) => {
    let any = false;
    for (const d of drafts) if (denied[d._id]) { delete denied[d._id]; any = true; }
    return any;
  });
  for (const d of docs) changed(d._id);
}

/** The gateway refused the draft's current revision; keep its reason to show on the draft. */
export async function markDenied(accountId, id, reason) {
  const db = await draftsDb(accountId);
  const doc = await getOrNull(db, id);
  if (!doc) return;
  await updateLocal(accountId, DENIED_ID, (denied) => {
    denied[id] = { rev: doc._rev, reason, at: now() };
  });
  changed(id);
}

// ---- conflicts ----

/** The revisions of a draft edited on two devices, winner first, and what differs. */
export async function conflictRevisions(id) {
  const db = await requireDb();
  const winner = await db.get(id, { conflicts: true });
  const others = await Promise.all((winner._conflicts || []).map((rev) => getOrNull(db, id, { rev })));
  const docs = [winner, ...others.filter(Boolean)];
  return { docs, diff: revisionDiff(docs) };
}

/** Keep the chosen revision's content as the only one; the others are removed. */
export async function resolveConflict(id, chosenRev) {
  await write(async (db) => {
    const winner = await db.get(id, { conflicts: true });
    const leaves = [winner._rev, ...(winner._conflicts || [])];
    if (!leaves.includes(chosenRev)) throw new Error('that revision is no longer there');
    const chosen = chosenRev === winner._rev ? winner : await db.get(id, { rev: chosenRev });
    await db.bulkDocs(resolutionDocs(winner, chosen, leaves, now()));
  });
  changed(id);
}

export { matchingStatus };
