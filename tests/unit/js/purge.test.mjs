import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { budgetWarning, purgeList, purgeable, refsAfterPurge } from '../../../pwa/src/data/purgestate.js';

const SUB = '11111111-1111-4111-8111-111111111111';
const draft = (over = {}) => ({ _id: 'draft:a', _rev: '3-x', state: 'submitted', submission_id: SUB, ...over });
const status = (over = {}) => ({ _id: 'status:a', state: 'completed', submission_id: SUB, purge: true, ...over });

test('a finished application whose submission and revision the server holds may be purged', () => {
  assert.equal(purgeable({ draft: draft(), status: status(), knownRevs: ['2-y', '3-x'] }), true);
  assert.equal(purgeable({ draft: draft(), status: status({ state: 'rejected' }), knownRevs: ['3-x'] }), true);
});

test('nothing is purged without the server saying purge', () => {
  assert.equal(purgeable({ draft: draft(), status: status({ purge: undefined }), knownRevs: ['3-x'] }), false);
  assert.equal(purgeable({ draft: draft(), status: null, knownRevs: ['3-x'] }), false);
});

test('a draft with an unsent revision is never purged', () => {
  assert.equal(purgeable({ draft: draft({ _rev: '4-z' }), status: status(), knownRevs: ['3-x'] }), false);
  assert.equal(purgeable({ draft: draft(), status: status(), knownRevs: [] }), false);
});

test('a draft edited into a new submission or back into a draft is never purged', () => {
  assert.equal(purgeable({ draft: draft({ submission_id: '22222222-2222-4222-8222-222222222222' }), status: status(), knownRevs: ['3-x'] }), false);
  assert.equal(purgeable({ draft: draft({ state: 'draft' }), status: status(), knownRevs: ['3-x'] }), false);
});

test('an application still open, a conflict or a refusal keeps the draft', () => {
  assert.equal(purgeable({ draft: draft(), status: status({ state: 'in_process' }), knownRevs: ['3-x'] }), false);
  assert.equal(purgeable({ draft: draft({ _conflicts: ['3-q'] }), status: status(), knownRevs: ['3-x'] }), false);
  assert.equal(purgeable({ draft: draft(), status: status(), knownRevs: ['3-x'], denied: { rev: '3-x', reason: 'x' } }), false);
});

test('purgeList picks only the purgeable drafts', () => {
  const a = draft();
  const b = draft({ _id: 'draft:b', _rev: '1-b' });
  const c = draft({ _id: 'draft:c', _rev: '2-c' });
  const statuses = { 'draft:a': status(), 'draft:b': status(), 'draft:c': status({ purge: false }) };
  const known = { 'draft:a': ['3-x'], 'draft:b': ['0-old'], 'draft:c': ['2-c'] };
  assert.deepEqual(purgeList([a, b, c], statuses, known), ['draft:a']);
});

test('a photo another draft still names keeps its bytes', () => {
  const refs = [{ draft: 'draft:a', field: 'ktp' }, { draft: 'draft:b', field: 'ktp' }];
  assert.deepEqual(refsAfterPurge(refs, ['draft:a']), [{ draft: 'draft:b', field: 'ktp' }]);
  assert.deepEqual(refsAfterPurge(refs, ['draft:a', 'draft:b']), []);
});

const ID = JSON.parse(readFileSync(new URL('../../../pwa/src/locales/id.json', import.meta.url)));
const say = (w) => ID[w.key].replace(/\{(\w+)\}/g, (_, name) => String(w[name]));

test('the budget warning starts at 80 percent and says how many of how many', () => {
  assert.equal(budgetWarning(159, 200), null);
  assert.ok(say(budgetWarning(165, 200)).startsWith('Penyimpanan permohonan di perangkat ini hampir penuh: 165 dari 200'));
  assert.match(say(budgetWarning(200, 200)), /penuh: 200 dari 200/);
  assert.equal(budgetWarning(4000, 5000).key, 'drafts.budget_near');
  assert.equal(budgetWarning(10, undefined), null);
});
