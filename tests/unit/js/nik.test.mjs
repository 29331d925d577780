// The device's NIK rules run the same vectors as identity/nik.py (tests/vectors/nik.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MESSAGES, PROVINCES, validateNik } from '../../../pwa/src/forms/nik.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/nik.json', import.meta.url), 'utf8'));
const wilayahCsv = readFileSync(new URL('../../../server/catalog/data/wilayah.csv', import.meta.url), 'utf8');
const codes = new Set(wilayahCsv.split('\n').slice(1).map((line) => line.split(',')[0]).filter(Boolean));
const fullList = { exists: (code) => codes.has(code) };

test('the shared vectors hold on the device, with the full area list', () => {
  assert.ok(vectors.length >= 40);
  for (const v of vectors) {
    const r = validateNik(v.nik, { today: v.today, claimedBirthDate: v.claimed_birth_date || null,
      claimedSex: v.claimed_sex || null, regions: fullList });
    assert.deepEqual(r.errors.map((p) => p.code), v.errors, v.case);
    assert.deepEqual(r.warnings.map((p) => p.code), v.warnings, v.case);
    assert.equal(r.ok, v.ok, v.case);
    assert.equal(r.sex, v.sex, v.case);
    assert.equal(r.birthDate, v.birth_date, v.case);
    if ('region_code' in v) assert.equal(r.regionCode, v.region_code, v.case);
  }
});

test('without the area list the device gives the same verdicts, minus the old-code warnings', () => {
  for (const v of vectors) {
    const r = validateNik(v.nik, { today: v.today, claimedBirthDate: v.claimed_birth_date || null, claimedSex: v.claimed_sex || null });
    const expected = v.warnings.filter((c) => !['nik.regency_unknown', 'nik.district_unknown'].includes(c));
    assert.deepEqual(r.errors.map((p) => p.code), v.errors, v.case);
    assert.deepEqual(r.warnings.map((p) => p.code), expected, v.case);
    assert.equal(r.ok, v.ok, v.case);
  }
});

test('the province codes shipped with the app are exactly those of the area list', () => {
  assert.deepEqual([...PROVINCES].sort(), [...codes].filter((c) => c.length === 2).sort());
});

test('every message is Indonesian and filled in', () => {
  const r = validateNik('217101150390992', { today: '2025-11-23' });
  assert.equal(r.errors[0].message, 'NIK harus 16 angka, yang terisi 15 angka. Periksa kembali KTP Anda.');
  assert.match(validateNik('9971011503909919', { today: '2025-11-23' }).errors[0].message, /\(99\) bukan kode provinsi/);
  assert.equal(Object.keys(MESSAGES).length, 10);
});

test('the messages are the server\'s own sentences', () => {
  // adjacent string literals joined, then whitespace folded, as Python reads them
  const py = readFileSync(new URL('../../../identity/nik.py', import.meta.url), 'utf8').replace(/"\s*\n\s*"/g, '').replace(/\s+/g, ' ');
  for (const [code, text] of Object.entries(MESSAGES)) assert.ok(py.includes(text), code);
});
