// Assisted drafts in the store (pwa/src/data/drafts.js) on a real PouchDB: the applicant is
// written with the draft and at each change, "Kirim" waits for the person, the KTP check and
// the consent, and a citizen's list finds the status docs an officer's application left there.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'mpp-assisted-'));
const PouchDB = require('pouchdb').defaults({ prefix: `${dir}/` });
const stored = new Map();
globalThis.localStorage = {
  getItem: (k) => (stored.has(k) ? stored.get(k) : null),
  setItem: (k, v) => stored.set(k, String(v)),
  removeItem: (k) => stored.delete(k),
};
globalThis.window = { PouchDB, dispatchEvent() {}, addEventListener() {} };
if (!globalThis.navigator) globalThis.navigator = {};
localStorage.setItem('lastAccountId', 'f1e2d3c4b5a60718');

const drafts = await import('../../../pwa/src/data/drafts.js');
const { emptyApplicant, withApplicant, CONSENT_VERSION } = await import('../../../pwa/src/data/assisted.js');

after(async () => {
  await (await drafts.draftsDb()).destroy();
  rmSync(dir, { recursive: true, force: true });
});

const FIELDS = [{ id: 'alasan', label_id: 'Alasan', type: 'text', required: true }];
const TODAY = '2026-03-02';
const AT = '2026-03-02T03:00:00.000Z';

async function assistedDraft() {
  const applicant = withApplicant(emptyApplicant(), { nik: '2171011503909901', name: 'BUDI', birth_date: '1990-03-15' }, AT);
  return drafts.createDraft('21.71', 'adminduk-ktp-el', 1, { applicant, values: { alasan: 'hilang' } });
}

test('a citizen\'s own draft still says applicant kind self', async () => {
  const id = await drafts.createDraft('21.71', 'adminduk-ktp-el', 1);
  assert.deepEqual((await drafts.getDraft(id)).applicant, { kind: 'self' });
});

test('the applicant is stored with the draft and each change is saved at once', async () => {
  const id = await assistedDraft();
  assert.equal((await drafts.getDraft(id)).applicant.name, 'BUDI');
  await drafts.saveApplicant(id, { ktp_seen: true, place: 'Balai Desa' });
  const doc = await drafts.getDraft(id);
  assert.equal(doc.applicant.identity_check.ktp_seen, true);
  assert.equal(doc.applicant.identity_check.place, 'Balai Desa');
  assert.match(doc.applicant.identity_check.at, /Z$/);
  assert.equal(doc.applicant.consent.text_version, CONSENT_VERSION);
});

test('"Kirim" waits for the KTP check and the consent, then sends', async () => {
  const id = await assistedDraft();
  const first = await drafts.submitDraft(id, FIELDS, TODAY);
  assert.equal(first.ok, false);
  assert.deepEqual(Object.keys(first.errors), ['_applicant']);
  assert.equal((await drafts.getDraft(id)).state, 'draft');
  await drafts.saveApplicant(id, { ktp_seen: true, consent: true });
  const second = await drafts.submitDraft(id, FIELDS, TODAY);
  assert.equal(second.ok, true);
  assert.equal((await drafts.getDraft(id)).state, 'submitted');
  await assert.rejects(drafts.saveApplicant(id, { name: 'ANDI' }), drafts.DraftLocked);
});

test('only an assisted draft takes an applicant change', async () => {
  const id = await drafts.createDraft('21.71', 'adminduk-ktp-el', 1);
  await assert.rejects(drafts.saveApplicant(id, { name: 'X' }), drafts.DraftLocked);
});

test('status docs with no draft on the device are the applications filed for the person', async () => {
  const db = await drafts.draftsDb();
  const own = await drafts.createDraft('21.71', 'adminduk-ktp-el', 1);
  await db.put({ _id: `status:${own.slice('draft:'.length)}`, type: 'status', state: 'received', updated_at: AT });
  await db.put({ _id: 'status:0b8e2c1a-1111-4222-8333-444455556666', type: 'status', state: 'received',
    tracking_number: 'MPP-2171-2026-000009', assisted_by: 'Petugas Ani', service_id: 'adminduk-ktp-el', region_code: '21.71', updated_at: AT });
  const filed = await drafts.listFiledForMe();
  assert.deepEqual(filed.map((s) => s.assisted_by), ['Petugas Ani']);
});
