// What a draft shows once the server works on its application: the states of the back office,
// the step it is at, an operator's notes per field, the legal basis of a refusal, the issued
// document, and whether the person may still withdraw it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { draftView, newDraft, revisionNotes, statusIdFor, statusOutput, statusStep } from '../../../pwa/src/data/draftstate.js';
import { FINAL_STATES, purgeable } from '../../../pwa/src/data/purgestate.js';

const NOW = '2026-03-02T08:00:00.000Z';
const ID = 'draft:3f0c2a4e-1b2c-4d5e-8f90-123456789abc';
const TRACKING = 'MPP-2171-2026-000123';
const SHA = 'd'.repeat(64);
const CATALOGS = ['id', 'en'].map((l) => JSON.parse(readFileSync(new URL(`../../../pwa/src/locales/${l}.json`, import.meta.url))));

function sent(extra = {}) {
  return { ...newDraft({ id: ID, region: '21.71', serviceId: 'sip-dokter', version: 1, now: NOW }), _rev: '2-b',
    state: 'submitted', submission_id: 'sub-1', submitted_at: NOW, ...extra };
}

function status(state, extra = {}) {
  return { _id: statusIdFor(ID), type: 'status', draft_id: ID, submission_id: 'sub-1', state, tracking_number: TRACKING,
    errors: {}, message: '', history: [], ...extra };
}

const OUTPUT = { sha256: SHA, size: 12345, mime: 'application/pdf', title: 'Surat Izin Praktik Dokter', number: 'SIP/2171/2026/000123',
  issued_at: '2026-11-23T03:00:00Z', valid_until: '2031-11-23', verify_url: 'https://mpp.example/verifikasi/abc', development: true };

test('the back office states lock the draft or reopen it, each with its own label', () => {
  const expected = {
    waiting_for_files: [false, 'state.waiting_for_files'], received: [false, 'state.received'],
    in_review: [false, 'state.in_review'], needs_revision: [true, 'state.needs_revision'],
    resubmitted: [false, 'state.resubmitted'], approved: [false, 'state.approved'], completed: [false, 'state.completed'],
    rejected: [false, 'state.rejected'], withdrawn: [false, 'state.withdrawn'], invalid: [true, 'state.invalid'],
  };
  for (const [state, [editable, label]] of Object.entries(expected)) {
    const v = draftView({ draft: sent(), status: status(state) });
    assert.equal(v.editable, editable, state);
    assert.equal(v.locked, !editable, state);
    assert.equal(v.label, label, state);
    for (const catalog of CATALOGS) assert.ok(catalog[label], `${label} missing from a catalog`);
  }
});

test('a draft edited after a revision request stays editable and keeps the notes', () => {
  const notes = { nama: 'Nama harus sesuai KTP.', 'req:str': 'STR sudah kedaluwarsa; unggah yang berlaku.' };
  const v = draftView({ draft: sent({ state: 'draft', _rev: '3-c' }), status: status('needs_revision', { notes }) });
  assert.equal(v.editable, true);
  assert.equal(v.resubmit, true);
  assert.deepEqual(v.notes.fields, { nama: 'Nama harus sesuai KTP.' });
  assert.deepEqual(v.notes.requirements, [{ id: 'str', text: 'STR sudah kedaluwarsa; unggah yang berlaku.' }]);
});

test('notes count only with a revision request, and empty ones are left out', () => {
  assert.deepEqual(revisionNotes(status('in_review', { notes: { nama: 'x' } })), { fields: {}, requirements: [] });
  assert.deepEqual(revisionNotes(status('needs_revision', { notes: { nama: ' ', alamat: 7 } })), { fields: {}, requirements: [] });
  assert.deepEqual(revisionNotes(null), { fields: {}, requirements: [] });
  const v = draftView({ draft: sent(), status: status('rejected', { notes: { nama: 'x' } }) });
  assert.deepEqual(v.notes, { fields: {}, requirements: [] });
});

test('the step shows while the application is being reviewed', () => {
  const step = { position: 2, count: 3, name: 'Verifikasi teknis', agency: 'Dinas Kesehatan' };
  assert.deepEqual(draftView({ draft: sent(), status: status('in_review', { step }) }).step, step);
  assert.equal(draftView({ draft: sent(), status: status('completed', { step }) }).step, null);
  assert.equal(statusStep({ step: { position: 4, count: 3 } }), null);
  assert.equal(statusStep({ step: { position: 'x', count: 3 } }), null);
  const filled = CATALOGS[0]['draft.step_agency'].replace(/\{(\w+)\}/g, (_, k) => step[k]);
  assert.equal(filled, 'Tahap 2 dari 3: Verifikasi teknis (Dinas Kesehatan)');
});

test('a rejection carries its legal basis; other states do not', () => {
  const v = draftView({ draft: sent(), status: status('rejected', { legal_basis: 'Permenkes 2052/2011 Pasal 15' }) });
  assert.equal(v.legal_basis, 'Permenkes 2052/2011 Pasal 15');
  assert.equal(draftView({ draft: sent(), status: status('in_review', { legal_basis: 'x' }) }).legal_basis, '');
});

test('a completed application shows its issued document', () => {
  const v = draftView({ draft: sent(), status: status('completed', { output: OUTPUT }) });
  assert.equal(v.output.sha256, SHA);
  assert.equal(v.output.number, 'SIP/2171/2026/000123');
  assert.equal(v.output.valid_until, '2031-11-23');
  assert.equal(v.output.development, true);
  assert.equal(statusOutput(status('completed', { output: { ...OUTPUT, valid_until: null, development: undefined } })).valid_until, null);
  assert.equal(statusOutput(status('completed', { output: { ...OUTPUT, sha256: 'nothex' } })), null);
  assert.equal(statusOutput(status('approved', { output: OUTPUT })), null);
});

test('only an open application with a tracking number may be withdrawn', () => {
  for (const state of ['waiting_for_files', 'received', 'in_review', 'needs_revision', 'resubmitted']) {
    assert.equal(draftView({ draft: sent(), status: status(state) }).withdrawable, true, state);
  }
  for (const state of ['approved', 'completed', 'rejected', 'withdrawn', 'invalid']) {
    assert.equal(draftView({ draft: sent(), status: status(state) }).withdrawable, false, state);
  }
  assert.equal(draftView({ draft: sent(), status: status('received', { tracking_number: null }) }).withdrawable, false);
  assert.equal(draftView({ draft: sent(), status: null }).withdrawable, false);
});

test('completed, rejected and withdrawn applications are final; an approved one still waits for its document', () => {
  assert.deepEqual([...FINAL_STATES].sort(), ['completed', 'rejected', 'withdrawn']);
  const draft = sent({ _rev: '3-x' });
  for (const state of FINAL_STATES) assert.equal(purgeable({ draft, status: status(state, { purge: true }), knownRevs: ['3-x'] }), true, state);
  assert.equal(purgeable({ draft, status: status('approved', { purge: true }), knownRevs: ['3-x'] }), false);
});
