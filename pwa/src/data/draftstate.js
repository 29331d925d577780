// Pure rules about a draft on the device: the doc shapes (sync/drafts.py is the authority),
// which label a draft shows, whether it may be edited, what differs between conflicting
// revisions, and how long sync waits before retrying. No DOM, no PouchDB: node --test runs it.

export const CLIENT = 'mpp-pwa/0.1';
export const MAX_DOC_BYTES = 64 * 1024;
export const DRAFT_PREFIX = 'draft:';
export const STATUS_PREFIX = 'status:';
// the only fields a device may write on a draft (besides _id, _rev, _deleted)
export const DRAFT_FIELDS = ['type', 'service_id', 'service_version', 'region_code', 'applicant', 'values', 'state',
  'submission_id', 'created_at', 'updated_at', 'submitted_at', 'client'];
// the application exists and the server holds it: the device may not change the draft
// (`in_process` is the name older servers gave `in_review`)
const LOCKING = new Set(['received', 'in_review', 'in_process', 'resubmitted', 'approved', 'completed', 'rejected', 'withdrawn']);
// still open: the person may ask to withdraw it (POST /api/permohonan/<tracking number>/batal)
const WITHDRAWABLE = new Set(['waiting_for_files', 'received', 'in_review', 'in_process', 'needs_revision', 'resubmitted']);
// an operator's note on a requirement rather than a form field: `req:<requirement id>`
const REQUIREMENT_NOTE = 'req:';
// the person is asked to change the answers
const REOPENING = new Set(['needs_revision', 'invalid']);
export const BACK_OFF_MAX_MS = 60 * 1000;
const BACK_OFF_FIRST_MS = 1000;

function fallbackUuid(random) {
  const b = new Uint8Array(16);
  random(b);
  b[6] = (b[6] & 0x0f) | 0x40; // RFC 9562 §5.4: version 4
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A random lowercase v4 uuid; older Android WebViews lack crypto.randomUUID. */
export function uuid(c = globalThis.crypto) {
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  return fallbackUuid((b) => c.getRandomValues(b));
}

export function draftUuid(draftId) {
  return draftId.slice(DRAFT_PREFIX.length);
}

export function statusIdFor(draftId) {
  return STATUS_PREFIX + draftUuid(draftId);
}

/** `applicant` is {kind: 'self'} for the person's own application, or an assisted one (data/assisted.js). */
export function newDraft({ id, region, serviceId, version, values = {}, now, applicant = { kind: 'self' } }) {
  return {
    _id: id, type: 'draft', service_id: serviceId, service_version: Number(version), region_code: region,
    applicant, values: { ...values }, state: 'draft', submission_id: null,
    created_at: now, updated_at: now, submitted_at: null, client: CLIENT,
  };
}

/** Only the fields a device may send: never _attachments, _conflicts or anything unknown. */
export function draftContent(doc) {
  const out = {};
  for (const key of DRAFT_FIELDS) if (key in doc) out[key] = doc[key];
  return out;
}

export function encodedSize(doc) {
  return new TextEncoder().encode(JSON.stringify(doc)).length;
}

/**
 * The draft after one change of answers. `patch` maps field id to the new value; undefined,
 * null and '' remove the answer. Editing a submitted draft (only possible once the server asked
 * for changes) makes it a draft again; its submission_id stays so the status still shows.
 */
export function withValues(doc, patch, now) {
  const values = { ...doc.values };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === null || value === '') delete values[key];
    else values[key] = value;
  }
  return { ...doc, values, state: 'draft', updated_at: now };
}

export function submitted(doc, { values, submissionId, now }) {
  return { ...doc, values, state: 'submitted', submission_id: submissionId, submitted_at: now, updated_at: now };
}

/** A status counts only when it answers the draft's current submission. */
export function matchingStatus(draft, status) {
  if (!status || !draft.submission_id) return null;
  return status.submission_id === draft.submission_id ? status : null;
}

const STATUS_LABELS = {
  received: 'state.received',
  invalid: 'state.invalid',
  in_process: 'state.in_review',
  in_review: 'state.in_review',
  resubmitted: 'state.resubmitted',
  completed: 'state.completed',
  withdrawn: 'state.withdrawn',
  needs_revision: 'state.needs_revision',
  approved: 'state.approved',
  rejected: 'state.rejected',
};

/** The step an application is at: {position, count, name, agency}, or null when the status has none usable. */
export function statusStep(status) {
  const step = status?.step;
  if (!step || typeof step !== 'object') return null;
  const position = Number(step.position);
  const count = Number(step.count);
  if (!Number.isInteger(position) || !Number.isInteger(count) || position < 1 || count < position) return null;
  return { position, count, name: String(step.name || ''), agency: String(step.agency || '') };
}

/**
 * The operator's notes of a revision request, split: `fields` {fieldId: text} shown beside
 * their field, `requirements` [{id, text}] (keys `req:<requirement id>`) listed above the form.
 */
export function revisionNotes(status) {
  const out = { fields: {}, requirements: [] };
  if (status?.state !== 'needs_revision' || !status.notes || typeof status.notes !== 'object') return out;
  for (const [key, text] of Object.entries(status.notes)) {
    if (typeof text !== 'string' || !text.trim()) continue;
    if (key.startsWith(REQUIREMENT_NOTE)) out.requirements.push({ id: key.slice(REQUIREMENT_NOTE.length), text });
    else out.fields[key] = text;
  }
  return out;
}

/** The issued document of a completed application, or null: {sha256, size, mime, title, number, ...}. */
export function statusOutput(status) {
  const output = status?.state === 'completed' ? status.output : null;
  if (!output || typeof output.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(output.sha256)) return null;
  return {
    sha256: output.sha256, size: Number(output.size) || 0, mime: output.mime || 'application/pdf', title: output.title || '',
    number: output.number || '', issued_at: output.issued_at || null, valid_until: output.valid_until || null,
    verify_url: output.verify_url || null, development: output.development === true,
  };
}

/**
 * What the device shows for one draft, from its doc, its status doc (if pulled), whether its
 * current revision still waits to be pushed, the gateway's refusal of that revision, and how far
 * its photos got (`files`, from blobstate.filesProgress): "Mengirim foto (2 dari 3)".
 * Returns {key, label, params, editable, locked, resubmit, tracking_number, errors, notes, step,
 * legal_basis, output, withdrawable}; `label` is a message-catalog key and `params` fill it in.
 */
export function draftView({ draft, status = null, pending = false, denied = null, files = null }) {
  const current = matchingStatus(draft, status);
  const tracking = status?.tracking_number || null; // a resubmission keeps the number
  const locking = current && LOCKING.has(current.state);
  const refusal = denied && denied.rev === draft._rev ? denied.reason : null;
  // the server refused a file of this submission: the person replaces it and sends again
  const fileRefused = !locking && draft.state === 'submitted' && files?.refused?.length ? files.refused[0] : null;
  const reopened = (current && REOPENING.has(current.state)) || Boolean(fileRefused);
  // the draft itself first: until it is pushed it shows "Menunggu dikirim", then its photos' progress
  const filesGoingUp = draft.state === 'submitted' && !pending && files && files.confirmed < files.total
    && (!current || current.state === 'waiting_for_files');
  let key;
  let params = {};
  if (refusal) {
    key = 'denied';
    params = { reason: refusal };
  } else if (fileRefused) {
    key = 'file_refused';
    params = { reason: fileRefused.message || fileRefused.code };
  } else if (filesGoingUp) {
    key = 'sending_files';
    params = { n: Math.min(files.confirmed + 1, files.total), total: files.total };
  } else if (current) {
    key = current.state;
    if (current.state === 'received') params = { tracking: current.tracking_number || '' };
  } else if (draft.state === 'submitted') {
    key = pending ? 'waiting_push' : 'sent';
  } else {
    key = 'draft';
  }
  const label = key === 'denied' ? 'state.denied' : (STATUS_LABELS[key] || `state.${key}`);
  let editable;
  if (locking) editable = false;
  else if (draft.state === 'draft') editable = true;
  else editable = Boolean(reopened || refusal);
  return {
    key,
    label,
    params,
    editable,
    locked: !editable,
    resubmit: Boolean(draft.submission_id) && (reopened || Boolean(refusal) || draft.state === 'draft'),
    tracking_number: tracking,
    errors: current && current.state === 'invalid' ? (current.errors || {}) : {},
    notes: revisionNotes(current),
    step: current && ['in_review', 'in_process', 'received', 'resubmitted'].includes(current.state) ? statusStep(current) : null,
    legal_basis: current?.state === 'rejected' && typeof current.legal_basis === 'string' ? current.legal_basis : '',
    output: statusOutput(current),
    // a refusal or a newer unsent revision does not matter: the application on the server is what is withdrawn
    withdrawable: Boolean(current && tracking && WITHDRAWABLE.has(current.state)),
    status: current,
  };
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * What differs between revisions of one draft, for the person to choose from.
 * `docs` are the revisions (winner first). Returns rows {kind: 'value'|'meta', key, values[]}
 * with one value per revision (undefined when that revision has no answer).
 */
export function revisionDiff(docs) {
  const rows = [];
  const keys = [];
  for (const doc of docs) for (const key of Object.keys(doc.values || {})) if (!keys.includes(key)) keys.push(key);
  for (const key of keys) {
    const values = docs.map((d) => (d.values || {})[key]);
    if (!values.every((v) => same(v, values[0]))) rows.push({ kind: 'value', key, values });
  }
  for (const key of ['state', 'submission_id', 'service_version']) {
    const values = docs.map((d) => d[key]);
    if (!values.every((v) => same(v, values[0]))) rows.push({ kind: 'meta', key, values });
  }
  return rows;
}

/**
 * The writes that make `chosen` the only revision left: the winner gets the chosen content
 * (unless it already is the chosen one), every other leaf is deleted.
 */
export function resolutionDocs(winner, chosen, leafRevs, now) {
  const docs = [];
  if (chosen._rev !== winner._rev) {
    docs.push({ ...draftContent(chosen), _id: winner._id, _rev: winner._rev, updated_at: now });
  }
  for (const rev of leafRevs) if (rev !== winner._rev) docs.push({ _id: winner._id, _rev: rev, _deleted: true });
  return docs;
}

/**
 * PouchDB's back_off_function: the next wait from the previous one. Doubles from 1 s up to
 * 60 s; the jitter (up to ±20 %) keeps many phones from retrying in step when a tower comes back.
 */
export function backOff(previousMs, random = Math.random) {
  const next = previousMs > 0 ? previousMs * 2 : BACK_OFF_FIRST_MS;
  const jittered = Math.round(Math.min(next, BACK_OFF_MAX_MS) * (0.8 + 0.4 * random()));
  return Math.max(BACK_OFF_FIRST_MS / 2, Math.min(BACK_OFF_MAX_MS, jittered));
}

/** How sync ended up after an error from the gateway or the network. */
export function syncErrorKind(err, online = true) {
  if (!err) return 'idle';
  if (err.status === 401) return 'needs_sign_in';
  if (!online) return 'offline';
  if (err.status == null || err.status === 0 || err.name === 'TypeError' || /fetch|network/i.test(err.message || '')) return 'offline';
  return 'error';
}

/** Whether storage is nearly full (usage above 90 % of quota). */
export function storageLow(estimate) {
  if (!estimate || !estimate.quota) return false;
  return estimate.usage / estimate.quota > 0.9;
}
