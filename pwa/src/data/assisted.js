// Applications a field officer files for a citizen ("assisted"): the applicant block of the
// draft (sync/drafts.py and the ingest read it), the consent text the citizen agrees to, what
// must be complete before "Kirim", how the officer's day is listed, and the citizen's view of
// applications filed for them (status docs with no draft on their device). No DOM, no PouchDB.
import { validateNik } from '../forms/nik.js';
import { fileValue, isFileValue } from './blobstate.js';

export const FIELD_OFFICER = 'field_officer';

// A new wording gets a new id; the draft records which one the citizen agreed to.
export const CONSENT_VERSION = 'persetujuan-bantuan-v1';
export const CONSENT_TEXT = [
  'Saya meminta petugas lapangan MPP Digital membantu saya mengajukan layanan ini atas nama saya.',
  'Saya setuju NIK, nama, tanggal lahir dan isian formulir ini dicatat di perangkat petugas dan dikirim ke pemerintah daerah hanya untuk memproses permohonan ini.',
  'Data saya tidak dipakai untuk keperluan lain dan tidak diberikan kepada pihak lain di luar instansi yang memproses permohonan ini, kecuali diwajibkan undang-undang (UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi).',
  'Saya dapat melihat status permohonan di alamat /lacak dengan nomor permohonan dan tanggal lahir saya, dan dapat meminta salinan atau perbaikan data saya di loket MPP.',
];

export function isFieldOfficer(account) {
  return Boolean(account && Array.isArray(account.roles) && account.roles.includes(FIELD_OFFICER));
}

export function isAssisted(draft) {
  return draft?.applicant?.kind === 'assisted';
}

export function emptyApplicant() {
  return {
    kind: 'assisted', nik: '', name: '', birth_date: '',
    identity_check: { ktp_seen: false, at: null, place: '', photo: null },
    consent: { given: false, text_version: CONSENT_VERSION, at: null, signature: null },
  };
}

/** A photo of the applicant block as the draft keeps it: {sha256, size, mime, field}, or null. */
export function applicantFile(value, field) {
  return isFileValue(value) ? { ...fileValue(value), field } : null;
}

/**
 * The applicant after one change. `patch` may hold nik, name, birth_date, ktp_seen, place,
 * consent (boolean), ktp_photo and consent_photo (a file value from the blob store, or null);
 * ticking a box records when, unticking clears the time.
 */
export function withApplicant(applicant, patch, now) {
  const a = { ...emptyApplicant(), ...applicant };
  const check = { ...a.identity_check };
  const consent = { ...a.consent };
  if ('nik' in patch) a.nik = String(patch.nik ?? '').replace(/\s+/g, '');
  if ('name' in patch) a.name = String(patch.name ?? '');
  if ('birth_date' in patch) a.birth_date = String(patch.birth_date ?? '');
  if ('place' in patch) check.place = String(patch.place ?? '');
  if ('ktp_seen' in patch) {
    check.ktp_seen = Boolean(patch.ktp_seen);
    check.at = check.ktp_seen ? now : null;
  }
  if ('ktp_photo' in patch) check.photo = applicantFile(patch.ktp_photo, '_ktp');
  if ('consent_photo' in patch) consent.signature = applicantFile(patch.consent_photo, '_consent');
  if ('consent' in patch) {
    consent.given = Boolean(patch.consent);
    consent.at = consent.given ? now : null;
    consent.text_version = CONSENT_VERSION;
  }
  return { ...a, identity_check: check, consent };
}

/**
 * Step 1's problems by field ({nik: [...], name: [...], birth_date: [...]}) and warnings. Each is
 * {code, message?}: the NIK rules bring their own sentence, the others are message-catalog keys.
 */
export function personProblems(applicant, today) {
  const errors = {};
  const warnings = {};
  const nik = validateNik(applicant.nik || '', { today, claimedBirthDate: /^\d{4}-\d{2}-\d{2}$/.test(applicant.birth_date || '') ? applicant.birth_date : null });
  if (nik.errors.length) errors.nik = nik.errors.map(({ code, message }) => ({ code, message }));
  if (nik.warnings.length) warnings.nik = nik.warnings.map(({ code, message }) => ({ code, message }));
  if (!String(applicant.name || '').trim()) errors.name = [{ code: 'assisted.name_required' }];
  if (!/^\d{4}-\d{2}-\d{2}$/.test(applicant.birth_date || '')) errors.birth_date = [{ code: 'assisted.birth_date_required' }];
  else if (applicant.birth_date > today) errors.birth_date = [{ code: 'assisted.birth_date_future' }];
  return { errors, warnings };
}

/** Which of the three steps are done: {person, check, consent, complete}. */
export function applicantSteps(applicant, today) {
  const a = applicant || emptyApplicant();
  const person = Object.keys(personProblems(a, today).errors).length === 0;
  const check = a.identity_check?.ktp_seen === true;
  const consent = a.consent?.given === true && a.consent?.text_version === CONSENT_VERSION;
  return { person, check, consent, complete: person && check && consent };
}

/** The calendar day (YYYY-MM-DD) of an instant as the device's clock reads it. */
export function localDay(iso, offsetMinutes = new Date(iso).getTimezoneOffset()) {
  return new Date(new Date(iso).getTime() - offsetMinutes * 60000).toISOString().slice(0, 10);
}

/**
 * Sent from the device's point of view? Waiting means submitted but not yet on the server: the
 * draft itself, or the photos it names (an application is complete only with its files).
 */
export function isWaiting(entry) {
  return entry.view.key === 'waiting_push' || entry.view.key === 'sending_files';
}

/** Not yet answered by the server: a draft, waiting to go (or its photos), or sent without a status yet. */
export function isUnsent(entry) {
  return ['draft', 'waiting_push', 'sending_files', 'denied'].includes(entry.view.key);
}

/**
 * The officer's list: today's assisted drafts (newest first), then older ones not yet sent, and
 * how many wait to be sent. `entries` are listDrafts() rows; `day(iso)` gives the local day.
 */
export function officerDay(entries, today, day = (iso) => localDay(iso)) {
  const assisted = entries.filter((e) => isAssisted(e.draft));
  const started = (e) => e.draft.created_at || e.draft.updated_at || '';
  const newestFirst = (a, b) => started(b).localeCompare(started(a));
  const todays = assisted.filter((e) => day(started(e)) === today).sort(newestFirst);
  const older = assisted.filter((e) => day(started(e)) !== today && isUnsent(e)).sort(newestFirst);
  return { today: todays, older, waiting: assisted.filter(isWaiting).length };
}

/** What the paper slip needs, once the server has answered: tracking number and check code. */
export function receipt(status) {
  if (!status?.tracking_number) return null;
  return { tracking: status.tracking_number, checkCode: status.check_code || null };
}

/**
 * Status docs on a citizen's device with no draft beside them: applications an officer filed
 * for this person. Newest first.
 */
export function filedForMe(draftIds, statuses) {
  const mine = new Set([...draftIds].map((id) => id.slice('draft:'.length)));
  return statuses
    .filter((s) => s && s._id?.startsWith('status:') && !s._deleted && !mine.has(s._id.slice('status:'.length)))
    .sort((a, b) => (b.updated_at || '').localeCompare(a.updated_at || ''));
}
