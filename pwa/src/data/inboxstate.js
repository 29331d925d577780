// Pure rules of the in-app inbox ("Kotak masuk"): every change of state the server recorded in
// the person's status docs (`status:<draft uuid>`, their `history`), newest first, and which of
// them this device has shown. Built only from replicated docs, so it is complete whether or not
// a push message ever arrived. No DOM, no PouchDB: node --test runs it.

import { DRAFT_PREFIX, STATUS_PREFIX } from './draftstate.js';

/** One history entry's stable key on this device: status doc id, time and state. */
export function entryKey(statusId, at, state) {
  return `${statusId}|${at}|${state}`;
}

function live(doc) {
  return doc && typeof doc._id === 'string' && doc._id.startsWith(STATUS_PREFIX) && !doc._deleted;
}

/** Every history entry of every status doc, newest first: {key, statusId, draftId, tracking, state, note, at}. */
export function inboxEntries(statuses) {
  const entries = [];
  for (const doc of statuses || []) {
    if (!live(doc) || !Array.isArray(doc.history)) continue;
    for (const x of doc.history) {
      if (!x || typeof x.at !== 'string' || !x.state) continue;
      entries.push({
        key: entryKey(doc._id, x.at, x.state), statusId: doc._id, draftId: doc.draft_id || null,
        tracking: doc.tracking_number || null, state: x.state, note: x.note || '', at: x.at,
      });
    }
  }
  // ISO times from one server sort as text; the key keeps the order stable for equal times
  return entries.sort((a, b) => b.at.localeCompare(a.at) || b.key.localeCompare(a.key));
}

/** `read` maps entry keys to true. */
export function isUnread(entry, read) {
  return !read?.[entry.key];
}

export function unreadCount(entries, read) {
  return entries.filter((e) => isUnread(e, read)).length;
}

/**
 * The read marks after marking `keys` read, keeping only keys of entries still shown (the server
 * keeps a bounded history per application), so the stored marks never grow without end.
 */
export function markRead(read, keys, entries) {
  const shown = new Set(entries.map((e) => e.key));
  const next = {};
  for (const key of Object.keys(read || {})) if (shown.has(key)) next[key] = true;
  for (const key of keys) if (shown.has(key)) next[key] = true;
  return next;
}

/** The status doc with this tracking number, or null. */
export function statusByTracking(statuses, n) {
  const wanted = String(n || '').trim();
  if (!wanted) return null;
  return (statuses || []).find((s) => live(s) && s.tracking_number === wanted) || null;
}

/**
 * Where `#/nomor/<n>` leads once its status doc is found: the draft if it is on this device,
 * else "Permohonan saya" (an application a field officer filed for the person has no draft here).
 */
export function nomorTarget(status, draftIds) {
  const uuid = status._id.slice(STATUS_PREFIX.length);
  const draftId = status.draft_id || DRAFT_PREFIX + uuid;
  return new Set(draftIds).has(draftId) ? `#/draf/${draftId.slice(DRAFT_PREFIX.length)}` : '#/permohonan';
}
