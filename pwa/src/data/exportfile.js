// "Ekspor yang belum terkirim": one encrypted file with every draft the server has not confirmed
// and the bytes of the photos and documents they name, for a phone that cannot sync (or is about
// to be reset). A counter officer imports it in the back office (`server/backoffice/exports.py`),
// which files the drafts exactly as if they had synced. DOM-free and PouchDB-free: Node tests it.
//
// File format `mpp-ekspor/1` (JSON, UTF-8):
//
//   {"format": "mpp-ekspor/1",
//    "kdf": {"name": "PBKDF2", "hash": "SHA-256", "iterations": N, "salt": <base64, 16 bytes>},
//    "cipher": {"name": "AES-GCM", "iv": <base64, 12 bytes>},
//    "data": <base64 of AES-256-GCM ciphertext with its 16-byte tag appended>}
//
// The key is PBKDF2-HMAC-SHA256(passphrase as UTF-8, salt, N ≥ 310,000) → 32 bytes (OWASP
// Password Storage Cheat Sheet, PBKDF2-HMAC-SHA256 work factor); AES-GCM per NIST SP 800-38D with
// a random 96-bit IV and a 128-bit tag, no additional data. The plaintext is JSON:
//
//   {"exported_at": "…Z", "account_id": "<hex>",
//    "drafts": [each draft as PouchDB holds it, with `_id`, `_rev` and `_revisions`],
//    "files": {"<sha256>": {"mime": "image/jpeg", "data": <base64>}}}
//
// `_revisions` let the server write the drafts with `new_edits: false`, so an import is the same
// revision the phone would have replicated, and importing twice writes nothing new.

export const FORMAT = 'mpp-ekspor/1';
export const ITERATIONS = 310000;
export const MIN_PASSPHRASE = 8;
const SALT_BYTES = 16;
const IV_BYTES = 12;

const subtle = () => globalThis.crypto.subtle;

export function toBase64(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = '';
  for (let i = 0; i < view.length; i += 0x8000) text += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(text);
}

export function fromBase64(text) {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i += 1) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Why a chosen passphrase cannot be used (a locale key), or null. */
export function passphraseProblem(first, second) {
  if (!first || first.length < MIN_PASSPHRASE) return 'export.passphrase_short';
  if (first !== second) return 'export.passphrase_mismatch';
  return null;
}

/** `mpp-belum-terkirim-2026-11-23.mpp`, by the device's local date. */
export function exportFilename(date = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `mpp-belum-terkirim-${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}.mpp`;
}

/**
 * The drafts to export: `rows` are pendingDrafts() entries ({id, rev}), `docs` the drafts as read
 * with `{revs: true}`. Only the revision the server has not confirmed goes (a draft edited since
 * the list was read is taken as it is now).
 */
export function unsentDocs(rows, docs) {
  const pending = new Set(rows.map((r) => r.id));
  return docs.filter((d) => d && pending.has(d._id) && !d._deleted && d._revisions)
    .map(({ _attachments, _conflicts, ...doc }) => doc);
}

const SHA256 = /^[0-9a-f]{64}$/;

function isRef(value) {
  return Boolean(value) && typeof value === 'object' && typeof value.sha256 === 'string' && SHA256.test(value.sha256);
}

/** {sha256: mime} of every file the drafts name: form values, and an assisted applicant's KTP photo and signature. */
export function referencedFiles(drafts) {
  const out = {};
  for (const d of drafts) {
    const refs = [...Object.values(d.values || {}), d.applicant?.identity_check?.photo, d.applicant?.consent?.signature];
    for (const ref of refs) if (isRef(ref)) out[ref.sha256] = ref.mime;
  }
  return out;
}

/** The plaintext object; `files` maps sha256 to {mime, bytes}. */
export function buildPayload({ accountId, drafts, files, now = new Date() }) {
  const out = {};
  for (const [sha256, f] of Object.entries(files)) out[sha256] = { mime: f.mime, data: toBase64(f.bytes) };
  return { exported_at: now.toISOString(), account_id: accountId, drafts, files: out };
}

async function deriveKey(passphrase, salt, iterations, usage) {
  const material = await subtle().importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return subtle().deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material,
    { name: 'AES-GCM', length: 256 }, false, [usage]);
}

/** The file's text for `payload`, encrypted with `passphrase`. */
export async function encryptExport(payload, passphrase, { iterations = ITERATIONS } = {}) {
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const key = await deriveKey(passphrase, salt, iterations, 'encrypt');
  const plain = new TextEncoder().encode(JSON.stringify(payload));
  const data = await subtle().encrypt({ name: 'AES-GCM', iv }, key, plain);
  return JSON.stringify({
    format: FORMAT,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations, salt: toBase64(salt) },
    cipher: { name: 'AES-GCM', iv: toBase64(iv) },
    data: toBase64(data),
  });
}

export class ExportUnreadable extends Error {}
export class WrongPassphrase extends Error {}

/** The envelope of a file's text, checked; throws ExportUnreadable. */
export function parseEnvelope(text) {
  let env;
  try { env = JSON.parse(text); } catch { throw new ExportUnreadable('not JSON'); }
  if (!env || env.format !== FORMAT) throw new ExportUnreadable('format');
  const { kdf, cipher } = env;
  if (kdf?.name !== 'PBKDF2' || kdf.hash !== 'SHA-256' || !Number.isInteger(kdf.iterations) || kdf.iterations < ITERATIONS
    || cipher?.name !== 'AES-GCM' || typeof env.data !== 'string') throw new ExportUnreadable('kdf/cipher');
  try {
    return { iterations: kdf.iterations, salt: fromBase64(kdf.salt), iv: fromBase64(cipher.iv), data: fromBase64(env.data) };
  } catch { throw new ExportUnreadable('base64'); }
}

/** The plaintext object of a file (what the server does, for tests and a check after writing). */
export async function decryptExport(text, passphrase) {
  const env = parseEnvelope(text);
  const key = await deriveKey(passphrase, env.salt, env.iterations, 'decrypt');
  let plain;
  try {
    plain = await subtle().decrypt({ name: 'AES-GCM', iv: env.iv }, key, env.data);
  } catch { throw new WrongPassphrase(); } // GCM's tag fails for a wrong key and for altered bytes alike
  return JSON.parse(new TextDecoder().decode(plain));
}
