// The device checks answers with the same codes and messages as the server (formspec.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CODE_ORDER, validateValues, visibleFields, visibleValues } from '../../../pwa/src/forms/validate.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/validation.json', import.meta.url), 'utf8'));

test('the shared validation vectors hold on the device', () => {
  for (const c of vectors.cases) {
    assert.deepEqual(validateValues(vectors.forms[c.form], c.values, c.today), c.errors, c.name);
  }
});

test('the vectors show every error code', () => {
  const shown = new Set(vectors.cases.flatMap((c) => Object.values(c.errors).flat().map((e) => e.code)));
  assert.deepEqual([...shown].sort(), [...CODE_ORDER].sort());
});

test('a hidden field is not required and its answer is dropped', () => {
  const fields = vectors.forms.base;
  const values = { jenis: 'baru', nomor_sip_lama: 'ab', tidak_ada: 1 };
  assert.equal('nomor_sip_lama' in validateValues(fields, values, '2024-06-15'), false);
  assert.deepEqual(visibleValues(fields, values, '2024-06-15'), { jenis: 'baru' });
  const shown = visibleFields(fields, { ...values, jenis: 'perpanjangan' }, '2024-06-15').map((f) => f.id);
  assert.ok(shown.includes('nomor_sip_lama'));
});

test('today may be a Date, read in local time', () => {
  const fields = vectors.forms.base;
  const values = { tanggal_lahir: '2019-06-15' };
  assert.ok('pas_foto' in validateValues(fields, values, new Date(2024, 5, 15, 23, 30)));
  assert.equal('pas_foto' in validateValues(fields, values, new Date(2024, 5, 14, 23, 30)), false);
});

test('answers named like Object.prototype members are not inherited', () => {
  const fields = [{ id: 'constructor', label_id: 'X', type: 'text', required: true }];
  assert.deepEqual(validateValues(fields, {}, '2024-06-15'), { constructor: [{ code: 'required', message: 'Wajib diisi.' }] });
});
