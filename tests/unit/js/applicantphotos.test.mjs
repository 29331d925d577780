// The optional KTP and consent photos of an assisted application: the applicant block keeps
// {sha256, size, mime, field} ("_ktp", "_consent"), and they go up, count and are released like
// a form's photos.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesReleasable, fileRefs, fileValue, filesProgress, uploadPlan } from '../../../pwa/src/data/blobstate.js';
import { emptyApplicant, withApplicant } from '../../../pwa/src/data/assisted.js';
import { draftView, newDraft } from '../../../pwa/src/data/draftstate.js';
import { referencedFiles } from '../../../pwa/src/data/exportfile.js';

const NOW = '2026-03-02T08:00:00.000Z';
const A = 'a'.repeat(64);
const K = 'c'.repeat(64);
const S = 'd'.repeat(64);
const FIELDS = [{ id: 'foto_kk', type: 'photo', label_id: 'Foto KK', required: true }];

function photo(sha256, field) {
  return fileValue({ sha256, size: 120_000, mime: 'image/jpeg', field });
}

function assisted(patch, values = { foto_kk: photo(A, 'foto_kk') }, extra = {}) {
  const applicant = withApplicant(emptyApplicant(), { nik: '3171014708900001', name: 'Siti', birth_date: '1990-08-07',
    ktp_seen: true, place: 'Balai Desa', consent: true, ...patch }, NOW);
  return { ...newDraft({ id: 'draft:1', region: '21.71', serviceId: 'x', version: 1, values, now: NOW }), applicant, _rev: '2-a',
    state: 'submitted', submission_id: 'sub-1', submitted_at: NOW, ...extra };
}

const local = (extra = {}) => ({ state: 'local', has_bytes: true, ...extra });

test('the KTP and consent photos are saved in the applicant block as refs with fields _ktp and _consent', () => {
  const d = assisted({ ktp_photo: photo(K, '_ktp'), consent_photo: { ...photo(S), extra: 1 } });
  assert.deepEqual(d.applicant.identity_check.photo, { sha256: K, size: 120_000, mime: 'image/jpeg', field: '_ktp' });
  assert.deepEqual(d.applicant.consent.signature, { sha256: S, size: 120_000, mime: 'image/jpeg', field: '_consent' });
  const cleared = withApplicant(d.applicant, { ktp_photo: null }, NOW);
  assert.equal(cleared.identity_check.photo, null);
  assert.equal(cleared.identity_check.ktp_seen, true);
  assert.deepEqual(cleared.consent.signature, d.applicant.consent.signature);
});

test('without photos the applicant block keeps null for both', () => {
  const d = assisted({});
  assert.equal(d.applicant.identity_check.photo, null);
  assert.equal(d.applicant.consent.signature, null);
  assert.deepEqual(fileRefs(d).map((r) => r.field), ['foto_kk']);
});

test('file refs of an assisted draft list the form photos, then the KTP photo, then the consent photo', () => {
  const d = assisted({ ktp_photo: photo(K, '_ktp'), consent_photo: photo(S, '_consent') });
  assert.deepEqual(fileRefs(d, FIELDS).map((r) => [r.field, r.sha256]), [['foto_kk', A], ['_ktp', K], ['_consent', S]]);
  assert.deepEqual(fileRefs(d).map((r) => r.field), ['foto_kk', '_ktp', '_consent']);
});

test('a self draft never reads applicant photos', () => {
  const d = { ...assisted({ ktp_photo: photo(K, '_ktp') }), applicant: { kind: 'self', identity_check: { photo: photo(K, '_ktp') } } };
  assert.deepEqual(fileRefs(d).map((r) => r.field), ['foto_kk']);
});

test('the upload plan sends the applicant photos of a submitted draft, not of one still being edited', () => {
  const d = assisted({ ktp_photo: photo(K, '_ktp'), consent_photo: photo(S, '_consent') });
  const records = { [A]: local({ state: 'confirmed' }), [K]: local(), [S]: local() };
  assert.deepEqual(uploadPlan([d], records).map((p) => [p.field, p.sha256, p.draft]), [['_ktp', K, 'draft:1'], ['_consent', S, 'draft:1']]);
  const editing = assisted({ ktp_photo: photo(K, '_ktp') }, undefined, { state: 'draft', submission_id: null });
  assert.deepEqual(uploadPlan([editing], records), []);
});

test('"Mengirim foto (n dari m)" counts the applicant photos', () => {
  const d = assisted({ ktp_photo: photo(K, '_ktp') });
  const files = filesProgress(d, { [A]: local({ state: 'confirmed' }), [K]: local() });
  assert.deepEqual(files, { total: 2, confirmed: 1, refused: [], missing: 0 });
  const status = { _id: 'status:1', submission_id: 'sub-1', state: 'waiting_for_files', tracking_number: 'MPP-1' };
  const view = draftView({ draft: d, status, files });
  assert.equal(view.key, 'sending_files');
  assert.deepEqual(view.params, { n: 2, total: 2 }); // the second of two: the KTP photo is going up
});

test('local bytes stay until the KTP photo too is confirmed and the application received', () => {
  const d = assisted({ ktp_photo: photo(K, '_ktp') });
  const received = { submission_id: 'sub-1', state: 'received' };
  assert.equal(bytesReleasable(d, received, { [A]: local({ state: 'confirmed' }), [K]: local() }), false);
  assert.equal(bytesReleasable(d, received, { [A]: local({ state: 'confirmed' }), [K]: local({ state: 'confirmed' }) }), true);
});

test('the export takes the applicant photos with the form photos', () => {
  const d = assisted({ ktp_photo: photo(K, '_ktp'), consent_photo: photo(S, '_consent') });
  assert.deepEqual(referencedFiles([d]), { [A]: 'image/jpeg', [K]: 'image/jpeg', [S]: 'image/jpeg' });
});
