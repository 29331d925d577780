// Pure rules about photo and document files on the device: the value a draft holds for a file
// field, which files a draft references, which of them still have to go up, and when their
// bytes may leave the device. No DOM, no PouchDB, no network: node --test runs it.

export const BLOB_PREFIX = 'blob:';
export const WALLET_PREFIX = 'wallet:';
export const MAX_FILE_BYTES = 5 * 1024 * 1024; // forms/validate.js and the server say the same
export const CHUNK_BYTES = 256 * 1024;
export const RETRY_DELAYS_MS = [0, 3000, 10000, 30000, 60000];
// photos: long edge at most 1600 px, JPEG; a KTP photo lands well under 250 KB
export const PHOTO = { maxLongEdge: 1600, maxBytes: 250 * 1024, mime: 'image/jpeg', initialQuality: 0.8 };
export const FILE_FIELD_TYPES = new Set(['photo', 'document']);
// the server holds the application but not every file it names yet
export const WAITING_FOR_FILES = 'waiting_for_files';

export function blobId(sha256) {
  return BLOB_PREFIX + sha256;
}

export function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The draft's value for a file field: a reference only, never the bytes (the gateway refuses
 * attachments and docs over 64 KB): {sha256, size, mime, field}, the keys the server's form
 * schema allows (`field`, optional there, must be this field's id).
 */
export function fileValue({ sha256, size, mime, field }) {
  return field ? { sha256, size, mime, field } : { sha256, size, mime };
}

/**
 * A document from the person's wallet (a `wallet:<id>` doc the server wrote): the server holds
 * its bytes already, so the device neither has nor sends them. {sha256, size, mime, field, wallet}.
 */
export function walletValue(doc, field) {
  const value = { sha256: doc.sha256, size: doc.size, mime: doc.mime, field, wallet: doc._id.slice(WALLET_PREFIX.length) };
  if (!field) delete value.field;
  return value;
}

/** Wallet documents for a field: those for the field's requirement first, each group newest first. */
export function walletChoices(docs, requirementId = null) {
  const newest = (a, b) => (b.verified_at || '').localeCompare(a.verified_at || '');
  const usable = (docs || []).filter((d) => d && d.type === 'wallet' && isFileValue(d));
  const same = usable.filter((d) => requirementId && d.requirement_id === requirementId).sort(newest);
  return [...same, ...usable.filter((d) => !same.includes(d)).sort(newest)];
}

export function isWalletRef(value) {
  return Boolean(value) && typeof value.wallet === 'string' && value.wallet.length > 0;
}

export function isFileValue(value) {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value)
    && typeof value.sha256 === 'string' && /^[0-9a-f]{64}$/.test(value.sha256)
    && Number.isInteger(value.size) && value.size > 0 && typeof value.mime === 'string';
}

/** Which kind of file the person picked: 'image' is compressed, 'pdf' kept as it is, else refused. */
export function fileKind(mime, fieldType) {
  if (/^image\//.test(mime || '')) return 'image';
  if (mime === 'application/pdf' && fieldType === 'document') return 'pdf';
  return null;
}

// An assisted draft's applicant photos (sync/drafts.py): the KTP and the consent, each under a
// fixed `field` that no form field can take (form field ids never start with "_").
export const APPLICANT_FILES = [
  { field: '_ktp', path: ['identity_check', 'photo'] },
  { field: '_consent', path: ['consent', 'signature'] },
];

/** The applicant's file references of an assisted draft: [{field, sha256, size, mime}]. */
export function applicantRefs(draft) {
  const applicant = draft?.applicant;
  if (applicant?.kind !== 'assisted') return [];
  const refs = [];
  for (const { field, path } of APPLICANT_FILES) {
    const value = applicant[path[0]]?.[path[1]];
    if (isFileValue(value)) refs.push({ ...fileValue(value), field });
  }
  return refs;
}

/**
 * The file references of one draft, in form order, then the applicant's KTP photo and consent
 * photo of an assisted draft: [{field, sha256, size, mime}], plus `wallet` for a wallet document.
 */
export function fileRefs(draft, fields = null) {
  const values = draft?.values || {};
  const ids = fields ? fields.filter((f) => FILE_FIELD_TYPES.has(f.type)).map((f) => f.id) : Object.keys(values);
  const refs = [];
  for (const id of ids) {
    const value = values[id];
    if (!isFileValue(value)) continue;
    refs.push(isWalletRef(value) ? { ...fileValue(value), field: id, wallet: value.wallet } : { ...fileValue(value), field: id });
  }
  return [...refs, ...applicantRefs(draft)];
}

/** A draft's files go up once it is submitted; a draft still being edited may change its photo. */
export function uploadsAllowed(draft) {
  return draft?.state === 'submitted' && Boolean(draft.submission_id);
}

/**
 * The files to send, one at a time, in order: those of submitted drafts that the server has not
 * confirmed and has not refused. `records` maps sha256 to the local blob record (or is absent).
 * Each sha256 appears once even when two drafts name it.
 */
export function uploadPlan(drafts, records) {
  const seen = new Set();
  const plan = [];
  for (const draft of drafts) {
    if (!uploadsAllowed(draft)) continue;
    for (const ref of fileRefs(draft)) {
      if (isWalletRef(ref) || seen.has(ref.sha256)) continue; // the server holds a wallet document already
      seen.add(ref.sha256);
      const rec = records[ref.sha256];
      if (!rec || !rec.has_bytes || rec.state === 'confirmed' || rec.state === 'refused') continue;
      plan.push({ ...ref, draft: draft._id });
    }
  }
  return plan;
}

/**
 * How far a draft's files got: {total, confirmed, refused: [{field, code, message}], missing}.
 * `missing` counts files the device no longer holds and the server has not confirmed.
 */
export function filesProgress(draft, records) {
  const refs = fileRefs(draft);
  const out = { total: refs.length, confirmed: 0, refused: [], missing: 0 };
  for (const ref of refs) {
    const rec = records[ref.sha256];
    if (isWalletRef(ref) || rec?.state === 'confirmed') out.confirmed += 1;
    else if (rec?.state === 'refused') out.refused.push({ field: ref.field, code: rec.error?.code || '', message: rec.error?.message || '' });
    else if (!rec?.has_bytes) out.missing += 1;
  }
  return out;
}

/**
 * Whether a draft's local bytes may be removed: every file confirmed by the server, and the
 * status doc (for this submission) says the application was received, not waiting for files.
 */
export function bytesReleasable(draft, status, records) {
  if (!uploadsAllowed(draft) || !status || status.submission_id !== draft.submission_id) return false;
  if (!status.state || status.state === WAITING_FOR_FILES) return false;
  const refs = fileRefs(draft);
  return refs.every((r) => isWalletRef(r) || records[r.sha256]?.state === 'confirmed');
}

/**
 * The server's refusal of a file, from the answer's status and JSON body `{code, message}`: a
 * `blob.*` code (checksum_mismatch, type_refused, too_large, quota_exceeded), or 413/415. Anything
 * else (401, 404, 409, 423, 429, 5xx, no answer) is not the file's fault: try again later.
 */
export function uploadRefusal(status, bodyText) {
  if (!(status >= 400 && status < 500) || [401, 404, 409, 423, 429].includes(status)) return null;
  let body = null;
  try { body = JSON.parse(bodyText || ''); } catch { /* not JSON: the status alone */ }
  const code = typeof body?.code === 'string' ? body.code : '';
  if (!code.startsWith('blob.') && status !== 413 && status !== 415) return null;
  const message = typeof body?.message === 'string' && body.message ? body.message : '';
  return { code: code || `http.${status}`, message, status };
}
