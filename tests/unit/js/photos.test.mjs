// Photos and documents on the device: the value a draft holds, which files go up and when,
// the "Mengirim foto (2 dari 3)" label, and when local bytes may be removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blobId, bytesReleasable, fileKind, fileRefs, fileValue, filesProgress, hex, isFileValue, uploadPlan, uploadRefusal,
} from '../../../pwa/src/data/blobstate.js';
import { draftView, newDraft } from '../../../pwa/src/data/draftstate.js';
import { validateValues } from '../../../pwa/src/forms/validate.js';

const NOW = '2026-03-02T08:00:00.000Z';
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const FIELDS = [
  { id: 'nama', type: 'text', label_id: 'Nama', required: true },
  { id: 'foto_ktp', type: 'photo', label_id: 'Foto KTP', required: true },
  { id: 'foto_kk', type: 'photo', label_id: 'Foto KK', required: true },
  { id: 'surat', type: 'document', label_id: 'Surat', required: false },
];

function ref(sha256, size = 1000, mime = 'image/jpeg') {
  return fileValue({ sha256, size, mime });
}

function draft(values, extra = {}) {
  return { ...newDraft({ id: 'draft:1', region: '21.71', serviceId: 'x', version: 1, values, now: NOW }), _rev: '2-a', ...extra };
}

function sent(values, extra = {}) {
  return draft(values, { state: 'submitted', submission_id: 'sub-1', submitted_at: NOW, ...extra });
}

const local = (extra = {}) => ({ state: 'local', has_bytes: true, ...extra });

test('the file value is sha256, size, mime and field, and client validation accepts it', () => {
  const value = fileValue({ sha256: A, size: 182_000, mime: 'image/jpeg', field: 'foto_ktp', extra: 1 });
  assert.deepEqual(value, { sha256: A, size: 182_000, mime: 'image/jpeg', field: 'foto_ktp' });
  assert.ok(isFileValue(value));
  const wrongField = validateValues(FIELDS, { nama: 'Siti', foto_ktp: ref(A), foto_kk: value }, NOW.slice(0, 10));
  assert.deepEqual(wrongField.foto_kk.map((p) => p.code), ['file']);
  const errors = validateValues(FIELDS, { nama: 'Siti', foto_ktp: value, foto_kk: ref(B), surat: ref(C, 2_000_000, 'application/pdf') }, NOW.slice(0, 10));
  assert.deepEqual(errors, {});
});

test('a document field takes a pdf, a photo field does not', () => {
  assert.equal(fileKind('image/heic', 'photo'), 'image');
  assert.equal(fileKind('application/pdf', 'document'), 'pdf');
  assert.equal(fileKind('application/pdf', 'photo'), null);
  assert.equal(fileKind('text/plain', 'document'), null);
});

test('sha256 bytes are written as lowercase hex and name the blob doc', () => {
  assert.equal(hex(new Uint8Array([0, 15, 255]).buffer), '000fff');
  assert.equal(blobId(A), `blob:${A}`);
});

test('file refs list only file values of the form, in form order', () => {
  const d = draft({ nama: 'Siti', foto_kk: ref(B), foto_ktp: ref(A) });
  assert.deepEqual(fileRefs(d, FIELDS).map((r) => [r.field, r.sha256]), [['foto_ktp', A], ['foto_kk', B]]);
});

test('files of a draft still being edited are not uploaded', () => {
  const plan = uploadPlan([draft({ foto_ktp: ref(A) })], { [A]: local() });
  assert.deepEqual(plan, []);
});

test('files of a submitted draft are uploaded once each, skipping confirmed, refused and missing ones', () => {
  const drafts = [
    sent({ foto_ktp: ref(A), foto_kk: ref(B), surat: ref(C, 10, 'application/pdf') }),
    sent({ foto_ktp: ref(A) }, { _id: 'draft:2' }),
  ];
  const records = { [A]: local(), [B]: local({ state: 'confirmed' }), [C]: local({ state: 'refused' }) };
  assert.deepEqual(uploadPlan(drafts, records).map((p) => [p.sha256, p.field, p.draft]), [[A, 'foto_ktp', 'draft:1']]);
  assert.deepEqual(uploadPlan(drafts, { [A]: { state: 'local', has_bytes: false } }), []);
});

test('a submitted draft whose photos are going up shows "2 of 3"', () => {
  const d = sent({ foto_ktp: ref(A), foto_kk: ref(B), surat: ref(C) });
  const files = filesProgress(d, { [A]: local({ state: 'confirmed' }), [B]: local(), [C]: local() });
  const view = draftView({ draft: d, files });
  assert.equal(view.key, 'sending_files');
  assert.equal(view.label, 'state.sending_files');
  assert.deepEqual(view.params, { n: 2, total: 3 });
  assert.equal(view.editable, false);
});

test('the server waiting for files still shows the upload progress, then its own state', () => {
  const d = sent({ foto_ktp: ref(A), foto_kk: ref(B) });
  const status = { submission_id: 'sub-1', state: 'waiting_for_files', tracking_number: 'MPP-1' };
  const going = draftView({ draft: d, status, files: filesProgress(d, { [A]: local() }) });
  assert.deepEqual([going.key, going.params], ['sending_files', { n: 1, total: 2 }]);
  const all = filesProgress(d, { [A]: local({ state: 'confirmed' }), [B]: local({ state: 'confirmed' }) });
  assert.equal(draftView({ draft: d, status, files: all }).key, 'waiting_for_files');
  const received = { ...status, state: 'received' };
  assert.equal(draftView({ draft: d, status: received, files: all }).key, 'received');
});

test('a file the server refused shows its message and lets the person replace it and send again', () => {
  const d = sent({ foto_ktp: ref(A) });
  const records = { [A]: local({ state: 'refused', error: { code: 'blob.too_large', message: 'Foto terlalu besar.' } }) };
  const view = draftView({ draft: d, files: filesProgress(d, records) });
  assert.equal(view.key, 'file_refused');
  assert.deepEqual(view.params, { reason: 'Foto terlalu besar.' });
  assert.equal(view.editable, true);
  assert.equal(view.resubmit, true);
});

test('a draft without files keeps its old labels', () => {
  const d = sent({ nama: 'Siti' });
  assert.equal(draftView({ draft: d, pending: true, files: filesProgress(d, {}) }).key, 'waiting_push');
});

test('local bytes go only after every file is confirmed and the application was received', () => {
  const d = sent({ foto_ktp: ref(A), foto_kk: ref(B) });
  const both = { [A]: local({ state: 'confirmed' }), [B]: local({ state: 'confirmed' }) };
  const received = { submission_id: 'sub-1', state: 'received' };
  assert.equal(bytesReleasable(d, received, both), true);
  assert.equal(bytesReleasable(d, { ...received, state: 'waiting_for_files' }, both), false);
  assert.equal(bytesReleasable(d, { ...received, submission_id: 'old' }, both), false);
  assert.equal(bytesReleasable(d, null, both), false);
  assert.equal(bytesReleasable(d, received, { ...both, [B]: local() }), false);
});

test('a blob.* refusal from /blobs/ is kept with the server message; 401, 404 and 409 are retried', () => {
  const body = JSON.stringify({ code: 'blob.checksum_mismatch', message: 'Isi berkas tidak cocok.' });
  assert.deepEqual(uploadRefusal(400, body), { code: 'blob.checksum_mismatch', message: 'Isi berkas tidak cocok.', status: 400 });
  assert.deepEqual(uploadRefusal(413, 'not json'), { code: 'http.413', message: '', status: 413 });
  assert.equal(uploadRefusal(404, JSON.stringify({ code: 'not_found', message: 'x' })), null);
  assert.equal(uploadRefusal(400, JSON.stringify({ code: 'tus.version', message: 'x' })), null);
  assert.equal(uploadRefusal(401, body), null);
  assert.equal(uploadRefusal(409, body), null);
  assert.equal(uploadRefusal(503, body), null);
  assert.equal(uploadRefusal(0, ''), null);
});
