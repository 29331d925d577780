// The inbox: every change of state in the person's status docs, newest first, with what this
// device has shown; and where `#/nomor/<tracking number>` leads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entryKey, inboxEntries, isUnread, markRead, nomorTarget, statusByTracking, unreadCount } from '../../../pwa/src/data/inboxstate.js';

const A = '3f0c2a4e-1b2c-4d5e-8f90-123456789abc';
const B = '7d1e0c55-2f3a-4b6c-9d8e-abcdefabcdef';

function status(uuid, tracking, history, extra = {}) {
  return { _id: `status:${uuid}`, type: 'status', draft_id: `draft:${uuid}`, state: history?.at(-1)?.state || 'received',
    tracking_number: tracking, history, ...extra };
}

const mine = status(A, 'MPP-2171-2026-000123', [
  { at: '2026-03-02T01:00:00Z', state: 'received', note: '' },
  { at: '2026-03-03T02:00:00Z', state: 'needs_revision', note: 'Foto KTP buram.' },
]);
const filed = status(B, 'MPP-2171-2026-000124', [{ at: '2026-03-02T05:00:00Z', state: 'received', note: null }],
  { assisted_by: 'Petugas' });

test('every history entry of every status doc becomes an entry, newest first', () => {
  const entries = inboxEntries([mine, filed]);
  assert.deepEqual(entries.map((e) => [e.tracking, e.state]), [
    ['MPP-2171-2026-000123', 'needs_revision'], ['MPP-2171-2026-000124', 'received'], ['MPP-2171-2026-000123', 'received'],
  ]);
  assert.deepEqual(entries[0], {
    key: entryKey(`status:${A}`, '2026-03-03T02:00:00Z', 'needs_revision'), statusId: `status:${A}`, draftId: `draft:${A}`,
    tracking: 'MPP-2171-2026-000123', state: 'needs_revision', note: 'Foto KTP buram.', at: '2026-03-03T02:00:00Z',
  });
  assert.equal(entries[1].note, '', 'a missing note reads as none');
});

test('deleted docs, other docs, docs without history and broken entries give nothing', () => {
  const entries = inboxEntries([
    null, { _id: 'draft:x', history: [{ at: 'x', state: 'received' }] }, { ...mine, _deleted: true },
    status(B, 'N', undefined), status(B, 'N', [null, { state: 'received' }, { at: '2026-03-01T00:00:00Z' }]),
  ]);
  assert.deepEqual(entries, []);
  assert.deepEqual(inboxEntries(undefined), []);
});

test('nothing is read on a device until it is marked, and marks are per entry', () => {
  const entries = inboxEntries([mine, filed]);
  assert.equal(unreadCount(entries, {}), 3);
  assert.equal(unreadCount(entries, null), 3);
  const read = markRead({}, [entries[0].key], entries);
  assert.equal(isUnread(entries[0], read), false);
  assert.equal(isUnread(entries[1], read), true);
  assert.equal(unreadCount(entries, read), 2);
});

test('a new change of state of a read application is unread again', () => {
  const before = inboxEntries([mine]);
  const read = markRead({}, before.map((e) => e.key), before);
  assert.equal(unreadCount(before, read), 0);
  const later = { ...mine, history: [...mine.history, { at: '2026-03-05T03:00:00Z', state: 'resubmitted', note: '' }] };
  const after = inboxEntries([later]);
  assert.equal(unreadCount(after, read), 1);
  assert.equal(after.find((e) => isUnread(e, read)).state, 'resubmitted');
});

test('marking keeps only marks of entries still shown, so stored marks stay bounded', () => {
  const entries = inboxEntries([mine]);
  const read = markRead({ 'status:gone|2020-01-01T00:00:00Z|received': true, [entries[1].key]: true }, [entries[0].key, 'unknown'], entries);
  assert.deepEqual(Object.keys(read).sort(), entries.map((e) => e.key).sort());
});

test('two entries at the same time keep a stable order', () => {
  const same = status(A, 'N', [{ at: '2026-03-02T01:00:00Z', state: 'received' }, { at: '2026-03-02T01:00:00Z', state: 'in_review' }]);
  const first = inboxEntries([same]).map((e) => e.state);
  const again = inboxEntries([{ ...same, history: [...same.history].reverse() }]).map((e) => e.state);
  assert.deepEqual(first, again);
});

test('a tracking number finds its status doc; unknown or empty numbers find nothing', () => {
  assert.equal(statusByTracking([filed, mine], 'MPP-2171-2026-000123'), mine);
  assert.equal(statusByTracking([filed, mine], ' MPP-2171-2026-000124 '), filed);
  assert.equal(statusByTracking([filed, mine], 'MPP-2171-2026-999999'), null);
  assert.equal(statusByTracking([{ ...mine, _deleted: true }], 'MPP-2171-2026-000123'), null);
  assert.equal(statusByTracking([mine], ''), null);
});

test('#/nomor opens the draft when it is on the device, else the list (filed by a field officer)', () => {
  assert.equal(nomorTarget(mine, [`draft:${A}`, `draft:${B}x`]), `#/draf/${A}`);
  assert.equal(nomorTarget(filed, [`draft:${A}`]), '#/permohonan');
  const noDraftId = { ...mine, draft_id: undefined };
  assert.equal(nomorTarget(noDraftId, [`draft:${A}`]), `#/draf/${A}`);
});
