// Drafts on the device: the label each one shows, when it may be edited, what differs between
// revisions edited on two devices, and how long sync waits between retries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BACK_OFF_MAX_MS, DRAFT_FIELDS, MAX_DOC_BYTES, backOff, draftContent, draftView, encodedSize, matchingStatus, newDraft,
  resolutionDocs, revisionDiff, statusIdFor, storageLow, submitted, syncErrorKind, uuid, withValues,
} from '../../../pwa/src/data/draftstate.js';

const NOW = '2026-03-02T08:00:00.000Z';
const ID = 'draft:3f0c2a4e-1b2c-4d5e-8f90-123456789abc';

function draft(extra = {}) {
  return { ...newDraft({ id: ID, region: '21.71', serviceId: 'adminduk-ktp-el', version: 3, now: NOW }), _rev: '1-a', ...extra };
}

function sent(extra = {}) {
  return draft({ state: 'submitted', submission_id: 'sub-1', submitted_at: NOW, _rev: '2-b', ...extra });
}

function status(state, extra = {}) {
  return { _id: statusIdFor(ID), type: 'status', draft_id: ID, submission_id: 'sub-1', state,
    tracking_number: state === 'invalid' ? null : 'MPP-2171-2026-000123', errors: {}, message: '', history: [], ...extra };
}

test('a new draft has exactly the fields the server accepts', () => {
  const doc = newDraft({ id: ID, region: '21.71', serviceId: 'adminduk-ktp-el', version: '3', now: NOW });
  assert.deepEqual(Object.keys(doc).filter((k) => k !== '_id').sort(), [...DRAFT_FIELDS].sort());
  assert.equal(doc.service_version, 3);
  assert.deepEqual(doc.applicant, { kind: 'self' });
  assert.equal(doc.state, 'draft');
  assert.equal(doc.submission_id, null);
  assert.equal(doc.client, 'mpp-pwa/0.1');
});

test('the status id shares the draft uuid', () => {
  assert.equal(statusIdFor(ID), 'status:3f0c2a4e-1b2c-4d5e-8f90-123456789abc');
});

test('uuids are lowercase v4, also without crypto.randomUUID', () => {
  const re = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(uuid(), re);
  const fake = { getRandomValues: (b) => { b.fill(0xff); return b; } };
  assert.match(uuid(fake), re);
});

test('draft content drops anything the gateway refuses', () => {
  const content = draftContent({ ...draft(), _conflicts: ['2-x'], _attachments: {}, extra: 1 });
  assert.deepEqual(Object.keys(content).sort(), [...DRAFT_FIELDS].sort());
});

test('a change of answers merges, removes empty answers, and reopens the draft', () => {
  const doc = draft({ values: { a: '1', b: '2' }, state: 'submitted', submission_id: 'sub-1' });
  const next = withValues(doc, { a: '9', b: '', c: ['x'] }, '2026-03-02T09:00:00Z');
  assert.deepEqual(next.values, { a: '9', c: ['x'] });
  assert.equal(next.state, 'draft');
  assert.equal(next.submission_id, 'sub-1', 'the status of that submission still shows while editing');
  assert.equal(next.updated_at, '2026-03-02T09:00:00Z');
  assert.deepEqual(doc.values, { a: '1', b: '2' }, 'the original is not changed');
});

test('submitting sets state, a new submission id and the time', () => {
  const doc = submitted(draft(), { values: { a: '1' }, submissionId: 'sub-2', now: NOW });
  assert.equal(doc.state, 'submitted');
  assert.equal(doc.submission_id, 'sub-2');
  assert.equal(doc.submitted_at, NOW);
});

test('a draft not sent yet is a Draf and editable', () => {
  const v = draftView({ draft: draft(), pending: true });
  assert.equal(v.key, 'draft');
  assert.equal(v.label, 'state.draft');
  assert.equal(v.editable, true);
  assert.equal(v.resubmit, false);
});

test('a submitted draft waits to be sent, then waits to be processed, and is read-only', () => {
  const waiting = draftView({ draft: sent(), pending: true });
  assert.equal(waiting.key, 'waiting_push');
  assert.equal(waiting.editable, false);
  const pushed = draftView({ draft: sent(), pending: false });
  assert.equal(pushed.key, 'sent');
  assert.equal(pushed.label, 'state.sent');
  assert.equal(pushed.editable, false);
});

test('a received status shows the tracking number and keeps the draft locked', () => {
  const v = draftView({ draft: sent(), status: status('received'), pending: false });
  assert.equal(v.key, 'received');
  assert.deepEqual(v.params, { tracking: 'MPP-2171-2026-000123' });
  assert.equal(v.tracking_number, 'MPP-2171-2026-000123');
  assert.equal(v.editable, false);
});

test('every server state has its label and lock', () => {
  const expected = {
    received: [false, 'state.received'], in_process: [false, 'state.in_review'], approved: [false, 'state.approved'],
    rejected: [false, 'state.rejected'], needs_revision: [true, 'state.needs_revision'], invalid: [true, 'state.invalid'],
  };
  for (const [state, [editable, label]] of Object.entries(expected)) {
    const v = draftView({ draft: sent(), status: status(state) });
    assert.equal(v.editable, editable, state);
    assert.equal(v.label, label, state);
  }
});

test('a status of an earlier submission does not count, but its tracking number shows', () => {
  const resent = sent({ submission_id: 'sub-2' });
  const old = status('needs_revision');
  assert.equal(matchingStatus(resent, old), null);
  const v = draftView({ draft: resent, status: old, pending: true });
  assert.equal(v.key, 'waiting_push');
  assert.equal(v.tracking_number, 'MPP-2171-2026-000123');
  assert.equal(draftView({ draft: resent, status: old, pending: false }).key, 'sent');
});

test('needs revision unlocks the draft and offers Kirim ulang', () => {
  const v = draftView({ draft: sent(), status: status('needs_revision') });
  assert.equal(v.editable, true);
  assert.equal(v.resubmit, true);
  // while the person edits, the draft is a draft again but the request for changes still shows
  const editing = draftView({ draft: withValues(sent(), { a: '1' }, NOW), status: status('needs_revision') });
  assert.equal(editing.key, 'needs_revision');
  assert.equal(editing.editable, true);
  assert.equal(editing.resubmit, true);
});

test('an invalid status gives each field its error and makes the draft editable', () => {
  const v = draftView({ draft: sent(), status: status('invalid', { errors: { nik: 'NIK harus 16 angka.' } }) });
  assert.equal(v.key, 'invalid');
  assert.equal(v.editable, true);
  assert.deepEqual(v.errors, { nik: 'NIK harus 16 angka.' });
  assert.equal(v.tracking_number, null);
  assert.deepEqual(draftView({ draft: sent(), status: status('received') }).errors, {});
});

test('a refusal by the gateway shows its reason while that revision is current', () => {
  const denied = { rev: '2-b', reason: 'Permohonan ini sedang diproses dan tidak dapat diubah.' };
  const v = draftView({ draft: sent(), pending: true, denied });
  assert.equal(v.key, 'denied');
  assert.equal(v.label, 'state.denied');
  assert.deepEqual(v.params, { reason: denied.reason });
  assert.equal(v.editable, true, 'the person can fix it and send again');
  const later = draftView({ draft: sent({ _rev: '3-c' }), pending: true, denied });
  assert.equal(later.key, 'waiting_push', 'a newer revision is sent again');
});

test('a refusal never unlocks a draft the server holds', () => {
  const v = draftView({ draft: sent(), status: status('in_process'), denied: { rev: '2-b', reason: 'x' } });
  assert.equal(v.key, 'denied');
  assert.equal(v.editable, false);
});

test('the revision diff lists differing answers side by side and nothing else', () => {
  const a = draft({ _rev: '2-a', values: { nik: '1', nama: 'Ani', hp: '0812' } });
  const b = draft({ _rev: '2-b', values: { nik: '1', nama: 'Ana' }, state: 'submitted', submission_id: 's' });
  const rows = revisionDiff([a, b]);
  assert.deepEqual(rows, [
    { kind: 'value', key: 'nama', values: ['Ani', 'Ana'] },
    { kind: 'value', key: 'hp', values: ['0812', undefined] },
    { kind: 'meta', key: 'state', values: ['draft', 'submitted'] },
    { kind: 'meta', key: 'submission_id', values: [null, 's'] },
  ]);
  assert.deepEqual(revisionDiff([a, { ...a, _rev: '2-z' }]), []);
});

test('the revision diff compares lists by content', () => {
  const a = draft({ values: { pilih: ['x', 'y'] } });
  assert.deepEqual(revisionDiff([a, draft({ values: { pilih: ['x', 'y'] } })]), []);
  assert.equal(revisionDiff([a, draft({ values: { pilih: ['y', 'x'] } })]).length, 1);
});

test('choosing a losing revision writes its content onto the winner and deletes every other leaf', () => {
  const winner = draft({ _rev: '3-w', values: { nama: 'Ani' } });
  const loser = draft({ _rev: '3-l', values: { nama: 'Ana' }, _conflicts: undefined });
  const docs = resolutionDocs(winner, loser, ['3-w', '3-l', '2-q'], NOW);
  assert.equal(docs[0]._rev, '3-w');
  assert.deepEqual(docs[0].values, { nama: 'Ana' });
  assert.equal(docs[0].updated_at, NOW);
  assert.deepEqual(docs.slice(1), [
    { _id: ID, _rev: '3-l', _deleted: true },
    { _id: ID, _rev: '2-q', _deleted: true },
  ]);
  assert.ok(!('_conflicts' in docs[0]));
});

test('choosing the winner only deletes the other leaves', () => {
  const winner = draft({ _rev: '3-w' });
  assert.deepEqual(resolutionDocs(winner, winner, ['3-w', '3-l'], NOW), [{ _id: ID, _rev: '3-l', _deleted: true }]);
});

test('back-off starts at a second, doubles, and never waits more than 60 s', () => {
  const steady = () => 0.5; // no jitter
  let wait = 0;
  const seen = [];
  for (let i = 0; i < 12; i += 1) { wait = backOff(wait, steady); seen.push(wait); }
  assert.deepEqual(seen.slice(0, 7), [1000, 2000, 4000, 8000, 16000, 32000, 60000]);
  assert.ok(seen.slice(6).every((w) => w === BACK_OFF_MAX_MS));
  for (const r of [0, 0.25, 0.999]) {
    let w = 0;
    for (let i = 0; i < 30; i += 1) {
      w = backOff(w, () => r);
      assert.ok(w >= 500 && w <= BACK_OFF_MAX_MS, `${w} with jitter ${r}`);
    }
  }
});

test('sync errors: 401 asks to sign in, network failures are offline, the rest are errors', () => {
  assert.equal(syncErrorKind({ status: 401, code: 'auth.session_revoked' }), 'needs_sign_in');
  assert.equal(syncErrorKind(Object.assign(new TypeError('Failed to fetch'), {})), 'offline');
  assert.equal(syncErrorKind({ status: 500, message: 'x' }, false), 'offline');
  assert.equal(syncErrorKind({ status: 403, message: 'Tidak boleh' }), 'error');
  assert.equal(syncErrorKind(null), 'idle');
});

test('storage is low above 90 % of quota', () => {
  assert.equal(storageLow({ usage: 91, quota: 100 }), true);
  assert.equal(storageLow({ usage: 90, quota: 100 }), false);
  assert.equal(storageLow({}), false);
});

test('the size check counts UTF-8 bytes against the 64 KB limit', () => {
  assert.equal(encodedSize({ a: 'é' }), JSON.stringify({ a: 'é' }).length + 1);
  assert.equal(MAX_DOC_BYTES, 65536);
});
