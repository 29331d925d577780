// Documents from the person's wallet: a draft names one by reference and the device never sends
// its bytes (the server holds them); such a file counts as already on the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesReleasable, fileRefs, fileValue, filesProgress, isWalletRef, uploadPlan, walletChoices, walletValue,
} from '../../../pwa/src/data/blobstate.js';
import { draftView, newDraft } from '../../../pwa/src/data/draftstate.js';
import { validateValues } from '../../../pwa/src/forms/validate.js';

const NOW = '2026-03-02T08:00:00.000Z';
const A = 'a'.repeat(64);
const W = 'e'.repeat(64);
const FIELDS = [
  { id: 'foto_ktp', type: 'photo', label_id: 'Foto KTP', required: true },
  { id: 'str', type: 'document', label_id: 'STR', required: true, requirement: 'str' },
];

function wallet(id, extra = {}) {
  return { _id: `wallet:${id}`, type: 'wallet', source: 'verified', requirement_id: 'str', label: 'STR dokter', sha256: W, size: 4000,
    mime: 'application/pdf', verified_by_agency: 'Dinas Kesehatan', verified_at: '2026-01-10T02:00:00Z', ...extra };
}

function sent(values) {
  return { ...newDraft({ id: 'draft:1', region: '21.71', serviceId: 'x', version: 1, values, now: NOW }), _rev: '2-a',
    state: 'submitted', submission_id: 'sub-1' };
}

test('a wallet document becomes a field value naming the wallet doc', () => {
  const value = walletValue(wallet('w1'), 'str');
  assert.deepEqual(value, { sha256: W, size: 4000, mime: 'application/pdf', field: 'str', wallet: 'w1' });
  assert.equal(isWalletRef(value), true);
  assert.equal(isWalletRef(fileValue({ sha256: A, size: 1, mime: 'image/jpeg' })), false);
});

test('the form accepts a wallet reference like a file of its own', () => {
  const values = { foto_ktp: fileValue({ sha256: A, size: 1000, mime: 'image/jpeg', field: 'foto_ktp' }), str: walletValue(wallet('w1'), 'str') };
  assert.deepEqual(validateValues(FIELDS, values, '2026-03-02'), {});
  assert.ok(validateValues(FIELDS, { ...values, str: { ...values.str, wallet: '' } }, '2026-03-02').str);
  assert.ok(validateValues(FIELDS, { ...values, str: { ...values.str, other: 1 } }, '2026-03-02').str);
});

test('a wallet reference is never uploaded and counts as on the server', () => {
  const draft = sent({ foto_ktp: fileValue({ sha256: A, size: 1000, mime: 'image/jpeg' }), str: walletValue(wallet('w1'), 'str') });
  assert.deepEqual(fileRefs(draft).map((r) => [r.field, r.wallet || null]), [['foto_ktp', null], ['str', 'w1']]);
  const records = { [A]: { sha256: A, state: 'local', has_bytes: true } };
  assert.deepEqual(uploadPlan([draft], records).map((p) => p.field), ['foto_ktp']);
  // even when the device happens to hold the same bytes (an issued document kept to open offline)
  const kept = { ...records, [W]: { sha256: W, state: 'local', has_bytes: true } };
  assert.deepEqual(uploadPlan([draft], kept).map((p) => p.field), ['foto_ktp']);
  assert.deepEqual(filesProgress(draft, records), { total: 2, confirmed: 1, refused: [], missing: 0 });
  const confirmed = { [A]: { sha256: A, state: 'confirmed', has_bytes: true } };
  assert.deepEqual(filesProgress(draft, confirmed), { total: 2, confirmed: 2, refused: [], missing: 0 });
  const status = { submission_id: 'sub-1', state: 'received' };
  assert.equal(bytesReleasable(draft, status, confirmed), true);
});

test('a draft whose only file is from the wallet does not wait for uploads', () => {
  const draft = sent({ str: walletValue(wallet('w1'), 'str') });
  const files = filesProgress(draft, {});
  assert.equal(draftView({ draft, files }).key, 'sent');
});

test('wallet documents for the field\'s requirement come first, newest first', () => {
  const docs = [
    wallet('old', { verified_at: '2025-01-01T00:00:00Z' }),
    wallet('ktp', { requirement_id: 'ktp', verified_at: '2026-05-01T00:00:00Z' }),
    wallet('new', { verified_at: '2026-02-01T00:00:00Z' }),
    { _id: 'wallet:broken', type: 'wallet', sha256: 'nope' },
  ];
  assert.deepEqual(walletChoices(docs, 'str').map((d) => d._id), ['wallet:new', 'wallet:old', 'wallet:ktp']);
  assert.deepEqual(walletChoices(docs, null).map((d) => d._id), ['wallet:ktp', 'wallet:new', 'wallet:old']);
});
