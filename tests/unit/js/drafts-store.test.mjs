// The drafts store (pwa/src/data/drafts.js) on a real PouchDB, in a temporary folder: quick
// typing never loses an answer, "Kirim" checks and locks, a request for changes reopens the
// draft, the sync marks drive the labels, and a conflict is settled by the person's choice.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'mpp-drafts-'));
const PouchDB = require('pouchdb').defaults({ prefix: `${dir}/` });
const stored = new Map();
globalThis.localStorage = {
  getItem: (k) => (stored.has(k) ? stored.get(k) : null),
  setItem: (k, v) => stored.set(k, String(v)),
  removeItem: (k) => stored.delete(k),
};
globalThis.window = { PouchDB, dispatchEvent() {}, addEventListener() {} };
if (!globalThis.navigator) globalThis.navigator = {};
const ACCOUNT = 'a1b2c3d4e5f60718';
localStorage.setItem('lastAccountId', ACCOUNT);

const drafts = await import('../../../pwa/src/data/drafts.js');
const { statusIdFor } = await import('../../../pwa/src/data/draftstate.js');

after(async () => {
  await (await drafts.draftsDb()).destroy();
  rmSync(dir, { recursive: true, force: true });
});

const FIELDS = [
  { id: 'jenis', label_id: 'Jenis', type: 'select', required: true, options: [{ value: 'baru', label_id: 'Baru' }, { value: 'lama', label_id: 'Lama' }] },
  { id: 'nomor_lama', label_id: 'Nomor lama', type: 'text', required: true, when: "jenis == 'lama'" },
  { id: 'nik', label_id: 'NIK', type: 'nik', required: true },
];
const TODAY = '2026-03-02';
const NIK = '3302015505900001';

async function db() {
  return drafts.draftsDb();
}

async function newDraft(values = {}) {
  return drafts.createDraft('21.71', 'adminduk-ktp-el', 1, { values });
}

async function putStatus(id, state, extra = {}) {
  const d = await db();
  const draft = await d.get(id);
  const sid = statusIdFor(id);
  let rev;
  try { rev = (await d.get(sid))._rev; } catch { rev = undefined; }
  await d.put({ _id: sid, _rev: rev, type: 'status', draft_id: id, submission_id: draft.submission_id, state,
    tracking_number: 'MPP-2171-2026-000123', errors: {}, message: '', history: [], ...extra });
}

test('the database is the account last seen on this device', async () => {
  assert.equal((await db()).name, `mpp-${ACCOUNT}`);
});

test('answers typed quickly are all saved, in order, without a conflict', async () => {
  const id = await newDraft();
  const writes = [];
  for (let i = 0; i < 40; i += 1) writes.push(drafts.saveValues(id, { [`f${i % 5}`]: `v${i}` }));
  await Promise.all(writes);
  const doc = await (await db()).get(id, { conflicts: true });
  assert.deepEqual(doc.values, { f0: 'v35', f1: 'v36', f2: 'v37', f3: 'v38', f4: 'v39' });
  assert.equal(doc._conflicts, undefined);
  assert.equal(doc.state, 'draft');
});

test('Kirim refuses invalid answers, drops hidden ones, and locks the draft', async () => {
  const id = await newDraft({ jenis: 'lama', nomor_lama: 'SIP/1', nik: '123' });
  await drafts.saveValues(id, { jenis: 'baru' });
  const refused = await drafts.submitDraft(id, FIELDS, TODAY);
  assert.equal(refused.ok, false);
  assert.deepEqual(Object.keys(refused.errors), ['nik']);
  assert.equal((await (await db()).get(id)).state, 'draft');

  await drafts.saveValues(id, { nik: NIK });
  const sent = await drafts.submitDraft(id, FIELDS, TODAY);
  assert.equal(sent.ok, true);
  const doc = await (await db()).get(id);
  assert.equal(doc.state, 'submitted');
  assert.deepEqual(doc.values, { jenis: 'baru', nik: NIK }, 'the hidden answer is not sent');
  assert.match(doc.submission_id, /^[0-9a-f-]{36}$/);
  assert.ok(doc.submitted_at);
  await assert.rejects(drafts.saveValues(id, { nik: '3302015505900002' }), drafts.DraftLocked);
});

test('a double tap on Kirim submits once', async () => {
  const id = await newDraft({ jenis: 'baru', nik: NIK });
  const [first, second] = await Promise.all([drafts.submitDraft(id, FIELDS, TODAY), drafts.submitDraft(id, FIELDS, TODAY)]);
  assert.equal(first.ok, true);
  assert.equal(second.busy, true);
  const third = await drafts.submitDraft(id, FIELDS, TODAY);
  assert.equal(third.already, true);
  const doc = await (await db()).get(id, { revs_info: true });
  assert.equal(doc.submission_id, first.draft.submission_id);
  assert.equal(doc._revs_info.length, 2, 'created, then submitted once');
});

test('a request for changes reopens the draft and Kirim ulang makes a new submission', async () => {
  const id = await newDraft({ jenis: 'baru', nik: NIK });
  const first = (await drafts.submitDraft(id, FIELDS, TODAY)).draft.submission_id;
  await putStatus(id, 'received');
  assert.equal((await drafts.loadDraft(id)).view.key, 'received');
  await putStatus(id, 'needs_revision');
  let entry = await drafts.loadDraft(id);
  assert.equal(entry.view.key, 'needs_revision');
  assert.equal(entry.view.editable, true);

  await drafts.saveValues(id, { nik: '3302015505900002' });
  entry = await drafts.loadDraft(id);
  assert.equal(entry.draft.state, 'draft');
  assert.equal(entry.view.key, 'needs_revision', 'still shown while the person edits');

  const again = await drafts.submitDraft(id, FIELDS, TODAY);
  assert.equal(again.ok, true);
  assert.notEqual(again.draft.submission_id, first);
  entry = await drafts.loadDraft(id);
  assert.equal(entry.view.key, 'waiting_push', 'the old status no longer counts');
  assert.equal(entry.view.tracking_number, 'MPP-2171-2026-000123');
});

test('labels follow the sync marks: waiting, sent, refused with its reason', async () => {
  const id = await newDraft({ jenis: 'baru', nik: NIK });
  await drafts.submitDraft(id, FIELDS, TODAY);
  const find = async () => (await drafts.listDrafts()).find((e) => e.draft._id === id);
  assert.equal((await find()).view.key, 'waiting_push');
  assert.ok((await drafts.pendingDrafts()).some((d) => d.id === id));

  const doc = await (await db()).get(id);
  await drafts.markDenied(ACCOUNT, id, 'Permohonan ini sedang diproses dan tidak dapat diubah.');
  let entry = await find();
  assert.equal(entry.view.key, 'denied');
  assert.equal(entry.view.params.reason, 'Permohonan ini sedang diproses dan tidak dapat diubah.');
  assert.ok((await drafts.pendingDrafts()).find((d) => d.id === id).denied);

  await drafts.markKnown(ACCOUNT, [{ _id: id, _rev: doc._rev }]);
  entry = await find();
  assert.equal(entry.view.key, 'sent', 'a later successful push clears the refusal');
  assert.ok(!(await drafts.pendingDrafts()).some((d) => d.id === id));
});

test('a draft changed on two devices shows both versions and keeps only the chosen one', async () => {
  const id = await newDraft({ jenis: 'baru', nik: NIK });
  const d = await db();
  const base = await d.get(id);
  await drafts.saveValues(id, { nik: '3302015505900003' }); // this device's edit
  // the other device's edit of the same revision, arriving by pull
  const [gen, hash] = base._rev.split('-');
  const other = { ...base, values: { jenis: 'lama', nomor_lama: 'SIP/9', nik: NIK }, updated_at: '2026-03-02T10:00:00Z',
    _rev: `${Number(gen) + 1}-${'e'.repeat(32)}`, _revisions: { start: Number(gen) + 1, ids: ['e'.repeat(32), hash] } };
  await d.bulkDocs([other], { new_edits: false });

  const entry = await drafts.loadDraft(id);
  assert.equal(entry.conflicts.length, 1);
  const { docs, diff } = await drafts.conflictRevisions(id);
  assert.equal(docs.length, 2);
  assert.deepEqual(diff.map((r) => r.key).sort(), ['jenis', 'nik', 'nomor_lama']);

  const [winner, loser] = docs;
  await drafts.resolveConflict(id, loser._rev); // the harder case: the losing side is the right one
  const after = await d.get(id, { conflicts: true });
  assert.equal(after._conflicts, undefined);
  assert.deepEqual(after.values, loser.values);
  assert.notDeepEqual(after.values, winner.values);
});

test('only a draft never sent can be deleted', async () => {
  const kept = await newDraft({ jenis: 'baru', nik: NIK });
  await drafts.submitDraft(kept, FIELDS, TODAY);
  await assert.rejects(drafts.deleteDraft(kept), drafts.DraftLocked);
  const gone = await newDraft();
  await drafts.deleteDraft(gone);
  assert.ok(!(await drafts.listDrafts()).some((e) => e.draft._id === gone));
});

test('a draft over 64 KB is refused on the device, before it could be refused by the server', async () => {
  const id = await newDraft();
  await assert.rejects(drafts.saveValues(id, { catatan: 'x'.repeat(70 * 1024) }), drafts.DraftTooLarge);
});
