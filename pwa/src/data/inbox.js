// The inbox's data on this device: the person's status docs (replicated by sync.js) and the
// read marks, kept in localStorage per account so a shared phone never mixes two people's.
import { draftsDb, onLocalChange } from './drafts.js';
import { lastAccountId } from './me.js';
import { DRAFT_PREFIX, STATUS_PREFIX } from './draftstate.js';
import { inboxEntries, markRead, nomorTarget, statusByTracking, unreadCount } from './inboxstate.js';

const readKey = (accountId) => `inbox-read:${accountId}`;

export function readMarks(accountId = lastAccountId()) {
  try {
    return JSON.parse(localStorage.getItem(readKey(accountId)) || '{}') || {};
  } catch {
    return {};
  }
}

async function statuses() {
  const db = draftsDb();
  if (!db) return [];
  const res = await (await db).allDocs({ include_docs: true, startkey: STATUS_PREFIX, endkey: `${STATUS_PREFIX}\ufff0` });
  return res.rows.map((r) => r.doc).filter(Boolean);
}

/** Entries newest first, the read marks, and how many are unread. */
export async function loadInbox() {
  const entries = inboxEntries(await statuses());
  const read = readMarks();
  return { entries, read, unread: unreadCount(entries, read) };
}

const readListeners = new Set();

/** Mark these entries read (all shown ones when `keys` is omitted). */
export async function markEntriesRead(keys) {
  const accountId = lastAccountId();
  if (!accountId) return;
  const { entries, read } = await loadInbox();
  const next = markRead(read, keys || entries.map((e) => e.key), entries);
  localStorage.setItem(readKey(accountId), JSON.stringify(next));
  for (const fn of readListeners) fn();
}

/** fn() when a status doc is written or pulled, or read marks change; returns the unsubscribe function. */
export function onInboxChange(fn) {
  const offDocs = onLocalChange((id) => { if (String(id).startsWith(STATUS_PREFIX)) fn(); });
  readListeners.add(fn);
  return () => { offDocs(); readListeners.delete(fn); };
}

/** The hash `#/nomor/<n>` leads to, or null while its status doc is not on the device. */
export async function trackingTarget(n) {
  const db = draftsDb();
  if (!db) return null;
  const status = statusByTracking(await statuses(), n);
  if (!status) return null;
  const drafts = await (await db).allDocs({ startkey: DRAFT_PREFIX, endkey: `${DRAFT_PREFIX}\ufff0` });
  return nomorTarget(status, drafts.rows.filter((r) => !r.value.deleted).map((r) => r.id));
}
