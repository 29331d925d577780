// What the device may let go of, and how full the person's database is — pure rules, no DOM,
// no PouchDB (tests/unit/js/purge.test.mjs). The server marks a finished application's status
// doc `purge: true`; the device then hides the draft and drops its photos, but only when
// nothing of it is unsent. The idb adapter of PouchDB 9 has no `purge()`, and a `_deleted`
// revision would replicate a delete to the server, so purged drafts are listed in a `_local`
// doc (never replicated) and left out of every list.

export const PURGED_ID = '_local/mpp-purged';
export const FINAL_STATES = ['completed', 'rejected', 'withdrawn']; // `approved` still waits for the document
export const WARN_AT = 0.8; // the server's sync/budget.py says the same

/**
 * Whether a draft may leave the device: its status says `purge`, the application is final, the
 * server holds this very submission, and the draft's current revision is one the server has
 * (`knownRevs`: revisions pushed or pulled), with no conflicting revision and no refusal.
 */
export function purgeable({ draft, status, knownRevs = [], denied = null }) {
  if (!draft || draft._deleted || !status || status.purge !== true) return false;
  if (!FINAL_STATES.includes(status.state)) return false;
  if (draft.state !== 'submitted' || !draft.submission_id || status.submission_id !== draft.submission_id) return false;
  if (!draft._rev || !knownRevs.includes(draft._rev)) return false; // something unsent
  if ((draft._conflicts || []).length) return false;
  if (denied) return false;
  return true;
}

/** The ids among `drafts` that may be purged; `statuses` by draft id, `known` and `denied` as kept by drafts.js. */
export function purgeList(drafts, statuses, known, denied = {}) {
  return drafts
    .filter((draft) => purgeable({ draft, status: statuses[draft._id] || null, knownRevs: known[draft._id] || [],
      denied: denied[draft._id] || null }))
    .map((draft) => draft._id);
}

/** A blob record's refs once the purged drafts no longer name it; an empty list means its bytes may go. */
export function refsAfterPurge(refs, purgedIds) {
  const gone = new Set(purgedIds);
  return (refs || []).filter((r) => !gone.has(r.draft));
}

/** From 80 % of the budget on: `{key, count, budget}` (`key` a message of the catalogs), else null. */
export function budgetWarning(count, budget) {
  if (!Number.isInteger(budget) || budget <= 0 || count < Math.ceil(budget * WARN_AT)) return null;
  return { key: count >= budget ? 'drafts.budget_full' : 'drafts.budget_near', count, budget };
}
