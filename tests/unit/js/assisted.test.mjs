// Assisted applications: the applicant block a field officer records, what must be done before
// "Kirim", the officer's list of the day, and the citizen's view of what was filed for them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONSENT_TEXT, CONSENT_VERSION, applicantSteps, emptyApplicant, filedForMe, isFieldOfficer, localDay, officerDay,
  personProblems, receipt, withApplicant,
} from '../../../pwa/src/data/assisted.js';
import { draftView, newDraft, statusIdFor } from '../../../pwa/src/data/draftstate.js';

const TODAY = '2026-03-02';
const AT = '2026-03-02T03:00:00.000Z';

function person(extra = {}) {
  return withApplicant(emptyApplicant(), { nik: '2171011503909901', name: 'SITI AMINAH', birth_date: '1990-03-15', ...extra }, AT);
}

test('an empty applicant has the shape the server reads, nothing ticked', () => {
  const a = emptyApplicant();
  assert.deepEqual(Object.keys(a).sort(), ['birth_date', 'consent', 'identity_check', 'kind', 'name', 'nik']);
  assert.equal(a.kind, 'assisted');
  assert.deepEqual(a.identity_check, { ktp_seen: false, at: null, place: '', photo: null });
  assert.deepEqual(a.consent, { given: false, text_version: CONSENT_VERSION, at: null, signature: null });
});

test('ticking the KTP check and the consent records when; unticking clears it', () => {
  let a = withApplicant(person(), { ktp_seen: true, place: 'Balai Desa Sekupang', consent: true }, AT);
  assert.deepEqual(a.identity_check, { ktp_seen: true, at: AT, place: 'Balai Desa Sekupang', photo: null });
  assert.equal(a.consent.given, true);
  assert.equal(a.consent.at, AT);
  a = withApplicant(a, { consent: false }, '2026-03-02T04:00:00.000Z');
  assert.equal(a.consent.given, false);
  assert.equal(a.consent.at, null);
  assert.equal(a.identity_check.at, AT, 'the other step keeps its time');
});

test('spaces typed in a NIK are dropped', () => {
  assert.equal(withApplicant(emptyApplicant(), { nik: '2171 0115 0390 9901' }, AT).nik, '2171011503909901');
});

test('step one names each problem in its field, NIK rules first', () => {
  const { errors } = personProblems(emptyApplicant(), TODAY);
  assert.deepEqual(Object.keys(errors).sort(), ['birth_date', 'name', 'nik']);
  assert.equal(errors.nik[0].code, 'nik.length');
  assert.match(errors.nik[0].message, /NIK harus 16 angka/);
  assert.equal(errors.name[0].code, 'assisted.name_required');
  assert.deepEqual(personProblems(person(), TODAY).errors, {});
});

test('a woman\'s NIK (day + 40) matches her birth date; a different date is a warning, not an error', () => {
  const woman = person({ nik: '3302115503909902', birth_date: '1990-03-15' });
  assert.deepEqual(personProblems(woman, TODAY), { errors: {}, warnings: {} });
  const typo = personProblems(person({ birth_date: '1990-03-16' }), TODAY);
  assert.deepEqual(typo.errors, {});
  assert.equal(typo.warnings.nik[0].code, 'nik.birth_date_mismatch');
});

test('a birth date after today is refused', () => {
  assert.equal(personProblems(person({ birth_date: '2026-03-03' }), TODAY).errors.birth_date[0].code, 'assisted.birth_date_future');
});

test('an application is complete only with the person, the KTP check and the current consent', () => {
  assert.deepEqual(applicantSteps(person(), TODAY), { person: true, check: false, consent: false, complete: false });
  const done = withApplicant(person(), { ktp_seen: true, consent: true }, AT);
  assert.equal(applicantSteps(done, TODAY).complete, true);
  const oldWording = { ...done, consent: { ...done.consent, text_version: 'older' } };
  assert.equal(applicantSteps(oldWording, TODAY).consent, false);
});

test('the consent text is plain Indonesian and names what it is for', () => {
  assert.ok(CONSENT_TEXT.length >= 3);
  assert.match(CONSENT_TEXT.join(' '), /hanya untuk memproses permohonan ini/);
  assert.match(CONSENT_VERSION, /^[a-z0-9-]+$/);
});

test('only accounts with the field_officer role get the officer screens', () => {
  assert.equal(isFieldOfficer({ roles: ['field_officer'] }), true);
  assert.equal(isFieldOfficer({ roles: ['citizen'] }), false);
  assert.equal(isFieldOfficer({}), false);
  assert.equal(isFieldOfficer(null), false);
});

function entry(uuid, createdAt, { state = 'draft', pending = true, status = null, kind = 'assisted' } = {}) {
  const id = `draft:${uuid}`;
  const draft = { ...newDraft({ id, region: '21.71', serviceId: 'adminduk-ktp-el', version: 1, now: createdAt,
    applicant: kind === 'assisted' ? person() : { kind: 'self' } }), _rev: '1-a' };
  if (state === 'submitted') Object.assign(draft, { state, submission_id: `sub-${uuid}`, submitted_at: createdAt });
  const s = status ? { _id: statusIdFor(id), submission_id: `sub-${uuid}`, ...status } : null;
  const e = { draft, status: s, pending, denied: null };
  return { ...e, view: draftView(e), conflicts: [] };
}

test('the officer\'s day: today\'s applications first, then older ones not yet sent, and how many wait', () => {
  const day = (iso) => iso.slice(0, 10); // UTC in the test
  const entries = [
    entry('a', '2026-03-02T01:00:00Z', { state: 'submitted', pending: true }),
    entry('b', '2026-03-02T05:00:00Z'),
    entry('c', '2026-03-01T09:00:00Z', { state: 'submitted', pending: true }),
    entry('d', '2026-03-01T10:00:00Z', { state: 'submitted', pending: false, status: { state: 'received', tracking_number: 'MPP-2171-2026-000001' } }),
    entry('e', '2026-02-27T10:00:00Z', { state: 'submitted', pending: false }),
    entry('f', '2026-03-02T06:00:00Z', { kind: 'self' }),
  ];
  const result = officerDay(entries, TODAY, day);
  assert.deepEqual(result.today.map((e) => e.draft._id), ['draft:b', 'draft:a']);
  assert.deepEqual(result.older.map((e) => e.draft._id), ['draft:c']);
  assert.equal(result.waiting, 2);
});

test('an application whose photos have not all gone up still waits on the officer\'s day', () => {
  const day = (iso) => iso.slice(0, 10);
  const photos = (e, files) => ({ ...e, view: draftView({ ...e, files }) });
  const withPhotos = photos(entry('g', '2026-03-02T02:00:00Z', { state: 'submitted', pending: true }),
    { total: 2, confirmed: 0, refused: [], missing: 0 });
  const halfway = photos(entry('h', '2026-03-01T02:00:00Z', { state: 'submitted', pending: false,
    status: { state: 'waiting_for_files', tracking_number: 'MPP-2171-2026-000002' } }), { total: 2, confirmed: 1, refused: [], missing: 0 });
  assert.equal(withPhotos.view.key, 'waiting_push'); // the draft itself is not up yet: "Menunggu dikirim" first
  assert.equal(halfway.view.key, 'sending_files');
  const result = officerDay([withPhotos, halfway], TODAY, day);
  assert.equal(result.waiting, 2);
  assert.deepEqual(result.older.map((e) => e.draft._id), ['draft:h']);
});

test('the local day of an instant follows the device clock', () => {
  assert.equal(localDay('2026-03-01T18:00:00Z', -7 * 60), '2026-03-02'); // WIB, UTC+7
  assert.equal(localDay('2026-03-01T18:00:00Z', 0), '2026-03-01');
});

test('the paper slip needs a tracking number; the check code comes with it', () => {
  assert.equal(receipt(null), null);
  assert.equal(receipt({ state: 'invalid', tracking_number: null }), null);
  assert.deepEqual(receipt({ tracking_number: 'MPP-2171-2026-000123', check_code: 'K7P2QX' }),
    { tracking: 'MPP-2171-2026-000123', checkCode: 'K7P2QX' });
});

test('a citizen sees as filed for them only the status docs with no draft of their own', () => {
  const statuses = [
    { _id: 'status:own', updated_at: '2026-03-02T01:00:00Z' },
    { _id: 'status:x', assisted_by: 'Petugas Ani', updated_at: '2026-03-01T01:00:00Z' },
    { _id: 'status:y', assisted_by: 'Petugas Ani', updated_at: '2026-03-02T02:00:00Z' },
  ];
  assert.deepEqual(filedForMe(['draft:own'], statuses).map((s) => s._id), ['status:y', 'status:x']);
});
