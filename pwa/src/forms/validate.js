// Checks an applicant's answers on the device, offline, with the rules the server applies
// (server/catalog/formspec.py: validate_values). Same error codes, same Indonesian messages,
// same visibility rules; tests/vectors/validation.json holds both sides to that.
// `fields` are Field specs as the server publishes them (model_dump, None left out).
import { evaluateLenient, parseIsoDate } from './conditions.js';

export const DEFAULT_MAX_LENGTH = { text: 500, textarea: 5000 };
export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const FILE_MIME = {
  photo: ['image/jpeg', 'image/png', 'image/webp'],
  document: ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'],
};
const MIME_LABELS = { 'image/jpeg': 'JPG', 'image/png': 'PNG', 'image/webp': 'WEBP', 'application/pdf': 'PDF' };

export const PATTERNS = {
  nik: /^[0-9]{16}$/,
  phone: /^(\+62|62|0)8[1-9][0-9]{6,11}$/,
  email: /^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/,
  date: /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/,
  sha256: /^[0-9a-f]{64}$/,
};
const EMAIL_MAX_LENGTH = 254;

export const CODE_ORDER = [
  'required', 'type', 'number', 'date', 'choice', 'choices', 'boolean', 'nik', 'kk', 'phone',
  'email', 'file', 'file_type', 'file_too_large', 'min', 'max', 'min_length', 'max_length', 'pattern',
];
const MONTHS = ['Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli',
  'Agustus', 'September', 'Oktober', 'November', 'Desember'];

const MESSAGES = {
  type: 'Isian harus berupa teks.',
  number: 'Harus berupa angka.',
  date: 'Tanggal belum benar; pilih tanggal dari kalender.',
  choice: 'Pilih salah satu pilihan yang tersedia.',
  choices: 'Pilih hanya dari pilihan yang tersedia, masing-masing sekali.',
  boolean: 'Centang kotak ini atau biarkan kosong.',
  nik: 'NIK harus 16 angka.',
  kk: 'Nomor KK harus 16 angka.',
  phone: 'Format nomor HP belum benar, contoh 081234567890.',
  email: 'Format email belum benar, contoh nama@contoh.id.',
  file: 'Berkas belum terunggah dengan benar. Unggah ulang berkasnya.',
  file_too_large: 'Berkas terlalu besar; paling besar 5 MB.',
  pattern: 'Format isian belum sesuai.',
};

const hasOwn = (obj, key) => obj != null && Object.prototype.hasOwnProperty.call(obj, key);
const isSingleCheckbox = (field) => field.type === 'checkbox' && field.options == null;
const optionValues = (field) => (field.options ?? []).map((o) => (typeof o === 'string' ? o : o.value));
const isNumber = (v) => typeof v === 'number' && Number.isFinite(v);
const isIsoDate = (v) => typeof v === 'string' && v.length === 10 && parseIsoDate(v) !== null;
const isBlank = (v) => v === null || v === undefined || (typeof v === 'string' && /^[ \t\r\n\f\v]*$/.test(v));

function isUnfilled(field, value) {
  if (isBlank(value) || (Array.isArray(value) && value.length === 0)) return true;
  return isSingleCheckbox(field) && value === false;
}

export function allowedMime(field) {
  const allowed = FILE_MIME[field.type] ?? [];
  const chosen = allowed.filter((m) => field.accept == null || field.accept.includes(m));
  return chosen.length ? chosen : allowed;
}

// Patterns are ECMA-262 as JSON Schema says; one the device cannot compile is not enforced
// here (check_spec keeps such patterns out of published forms).
const compiled = new Map();
function matches(pattern, value) {
  if (!compiled.has(pattern)) {
    let re = null;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      try { re = new RegExp(pattern); } catch { re = null; }
    }
    compiled.set(pattern, re);
  }
  const re = compiled.get(pattern);
  return re === null || re.test(value);
}

const length = (s) => Array.from(s).length;

const FILE_KEYS = ['sha256', 'size', 'mime', 'field', 'wallet'];

function fileCodes(field, value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return ['file'];
  const codes = [];
  if (Object.keys(value).some((k) => !FILE_KEYS.includes(k))) codes.push('file');
  // optional: the wallet document (`wallet:<id>`) the person picked instead of a new file
  if (hasOwn(value, 'wallet') && (typeof value.wallet !== 'string' || !value.wallet)) codes.push('file');
  // optional: the field the upload was for (the server's schema holds it to this field's id)
  if (hasOwn(value, 'field') && value.field !== field.id) codes.push('file');
  if (!hasOwn(value, 'sha256') || typeof value.sha256 !== 'string' || !PATTERNS.sha256.test(value.sha256)) codes.push('file');
  if (!hasOwn(value, 'size')) codes.push('file');
  else if (isNumber(value.size)) {
    if (!Number.isInteger(value.size) || value.size < 1) codes.push('file');
    if (value.size > MAX_FILE_BYTES) codes.push('file_too_large');
  } else codes.push('file');
  if (!hasOwn(value, 'mime')) codes.push('file');
  else if (!allowedMime(field).includes(value.mime)) codes.push('file_type');
  return codes;
}

function valueCodes(field, value) {
  const t = field.type;
  switch (t) {
    case 'text':
    case 'textarea': {
      if (typeof value !== 'string') return ['type'];
      const codes = [];
      const n = length(value);
      if (field.min_length != null && n < field.min_length) codes.push('min_length');
      if (n > (field.max_length ?? DEFAULT_MAX_LENGTH[t])) codes.push('max_length');
      if (field.pattern != null && !matches(field.pattern, value)) codes.push('pattern');
      return codes;
    }
    case 'number': {
      if (!isNumber(value)) return ['number'];
      const codes = [];
      if (isNumber(field.min) && value < field.min) codes.push('min');
      if (isNumber(field.max) && value > field.max) codes.push('max');
      return codes;
    }
    case 'date': {
      if (!isIsoDate(value)) return ['date'];
      const codes = [];
      if (isIsoDate(field.min) && value < field.min) codes.push('min');
      if (isIsoDate(field.max) && value > field.max) codes.push('max');
      return codes;
    }
    case 'select':
    case 'radio':
      return typeof value === 'string' && optionValues(field).includes(value) ? [] : ['choice'];
    case 'checkbox': {
      if (isSingleCheckbox(field)) return typeof value === 'boolean' ? [] : ['boolean'];
      const allowed = optionValues(field);
      const ok = Array.isArray(value)
        && value.every((v) => typeof v === 'string' && allowed.includes(v))
        && new Set(value).size === value.length;
      return ok ? [] : ['choices'];
    }
    case 'nik':
    case 'kk':
      return typeof value === 'string' && PATTERNS.nik.test(value) ? [] : [t];
    case 'phone':
      return typeof value === 'string' && PATTERNS.phone.test(value) ? [] : ['phone'];
    case 'email':
      return typeof value === 'string' && length(value) <= EMAIL_MAX_LENGTH && PATTERNS.email.test(value) ? [] : ['email'];
    case 'photo':
    case 'document':
      return fileCodes(field, value);
    default:
      return [];
  }
}

function todayIso(today) {
  if (today instanceof Date) {
    const pad = (n, w = 2) => String(n).padStart(w, '0');
    return `${pad(today.getFullYear(), 4)}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  }
  return String(today);
}

/** The fields whose `when` holds; a hidden field's answer does not count toward others. */
export function visibleFields(fields, values, today) {
  const filled = {};
  for (const f of fields) if (hasOwn(values, f.id) && !isBlank(values[f.id])) filled[f.id] = values[f.id];
  let shown = new Set(fields.map((f) => f.id));
  for (let round = 0; round <= fields.length; round += 1) {
    const context = {};
    for (const [id, v] of Object.entries(filled)) if (shown.has(id)) context[id] = v;
    context._today = todayIso(today);
    const now = new Set(fields.filter((f) => evaluateLenient(f.when ?? null, context)).map((f) => f.id));
    const same = now.size === shown.size && [...now].every((id) => shown.has(id));
    if (same) break;
    shown = now;
  }
  return fields.filter((f) => shown.has(f.id));
}

/** The answers of shown fields only; answers to hidden or unknown fields are dropped. */
export function visibleValues(fields, values, today) {
  const out = {};
  for (const f of visibleFields(fields, values, today)) if (hasOwn(values, f.id)) out[f.id] = values[f.id];
  return out;
}

const joinOr = (items) => (items.length === 1
  ? items[0]
  : `${items.slice(0, -1).join(', ')}${items.length > 2 ? ',' : ''} atau ${items[items.length - 1]}`);
const numberText = (n) => String(n).replace('.', ',');
const dateText = (iso) => `${Number(iso.slice(8, 10))} ${MONTHS[Number(iso.slice(5, 7)) - 1]} ${iso.slice(0, 4)}`;

/** The Indonesian sentence shown beside the field (formspec.error_message holds the same). */
export function errorMessage(code, field) {
  const t = field.type;
  if (code === 'required') {
    if (t === 'checkbox') return isSingleCheckbox(field) ? 'Wajib dicentang.' : 'Pilih paling sedikit satu.';
    if (t === 'photo' || t === 'document') return 'Wajib diunggah.';
    return t === 'select' || t === 'radio' ? 'Wajib dipilih.' : 'Wajib diisi.';
  }
  if (code === 'min' || code === 'max') {
    const bound = code === 'min' ? field.min : field.max;
    if (t === 'date') return `Tanggal paling ${code === 'min' ? 'awal' : 'akhir'} ${dateText(String(bound))}.`;
    return `Paling ${code === 'min' ? 'kecil' : 'besar'} ${numberText(bound)}.`;
  }
  if (code === 'file_type') {
    return `Jenis ${t === 'photo' ? 'foto' : 'berkas'} harus ${joinOr(allowedMime(field).map((m) => MIME_LABELS[m]))}.`;
  }
  if (code === 'min_length') return `Paling sedikit ${field.min_length} karakter.`;
  if (code === 'max_length') return `Paling banyak ${field.max_length ?? DEFAULT_MAX_LENGTH[t]} karakter.`;
  return MESSAGES[code];
}

/**
 * Errors per field id, each {code, message}, for the fields shown; {} when all is well.
 * Hidden fields are neither required nor checked. `today` is an ISO date (or a Date, read in
 * local time) and feeds umur(...).
 */
export function validateValues(fields, values, today) {
  const shown = visibleFields(fields, values ?? {}, today);
  const errors = {};
  for (const field of shown) {
    const present = hasOwn(values, field.id) && !isUnfilled(field, values[field.id]);
    let codes = [];
    if (!present) {
      if (field.required) codes = ['required'];
    } else {
      codes = valueCodes(field, values[field.id]);
    }
    const unique = [...new Set(codes)].sort((a, b) => CODE_ORDER.indexOf(a) - CODE_ORDER.indexOf(b));
    if (unique.length) errors[field.id] = unique.map((code) => ({ code, message: errorMessage(code, field) }));
  }
  return errors;
}
