// "Ekspor yang belum terkirim": the file's format, which drafts and files go in it, and the
// PBKDF2 → AES-GCM round trip (WebCrypto is globalThis.crypto in Node 20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FORMAT, ITERATIONS, WrongPassphrase, ExportUnreadable, buildPayload, decryptExport, encryptExport, exportFilename,
  parseEnvelope, passphraseProblem, referencedFiles, unsentDocs,
} from '../../../pwa/src/data/exportfile.js';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const ID1 = 'draft:3f0c2a4e-1b2c-4d5e-8f90-123456789abc';
const ID2 = 'draft:4f0c2a4e-1b2c-4d5e-8f90-123456789abc';

function draft(id, values = {}, extra = {}) {
  return { _id: id, _rev: '2-bb', _revisions: { start: 2, ids: ['bb', 'aa'] }, type: 'draft', values, ...extra };
}

test('only drafts the server has not confirmed are exported, without attachments or conflicts', () => {
  const docs = [draft(ID1, {}, { _conflicts: ['2-cc'] }), draft(ID2)];
  const out = unsentDocs([{ id: ID1, rev: '2-bb' }], docs);
  assert.deepEqual(out.map((d) => d._id), [ID1]);
  assert.equal(out[0]._conflicts, undefined);
  assert.deepEqual(out[0]._revisions, { start: 2, ids: ['bb', 'aa'] });
});

test('the files named by form values and by an assisted applicant are all included, once', () => {
  const drafts = [
    draft(ID1, { ktp: { sha256: SHA_A, size: 3, mime: 'image/jpeg', field: 'ktp' }, nama: 'x' }),
    draft(ID2, { kk: { sha256: SHA_A, size: 3, mime: 'image/jpeg' } }, {
      applicant: { kind: 'assisted', identity_check: { photo: { sha256: SHA_B, size: 4, mime: 'image/png' } }, consent: { signature: null } },
    }),
  ];
  assert.deepEqual(referencedFiles(drafts), { [SHA_A]: 'image/jpeg', [SHA_B]: 'image/png' });
});

test('a passphrase must be long enough and typed the same twice', () => {
  assert.equal(passphraseProblem('short', 'short'), 'export.passphrase_short');
  assert.equal(passphraseProblem('panjang sekali', 'panjang sekalI'), 'export.passphrase_mismatch');
  assert.equal(passphraseProblem('panjang sekali', 'panjang sekali'), null);
});

test('the file is named by the local date', () => {
  assert.equal(exportFilename(new Date(2026, 10, 3, 9, 0)), 'mpp-belum-terkirim-2026-11-03.mpp');
});

test('an export decrypts with its passphrase to the same drafts and file bytes', async () => {
  const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
  const payload = buildPayload({ accountId: 'ab'.repeat(16), drafts: [draft(ID1)], files: { [SHA_A]: { mime: 'image/jpeg', bytes } },
    now: new Date('2026-11-23T01:02:03Z') });
  const text = await encryptExport(payload, 'kata sandi rahasia');
  const env = JSON.parse(text);
  assert.equal(env.format, FORMAT);
  assert.equal(env.kdf.iterations, ITERATIONS);
  assert.ok(ITERATIONS >= 310000);
  assert.equal(Buffer.from(env.kdf.salt, 'base64').length, 16);
  assert.equal(Buffer.from(env.cipher.iv, 'base64').length, 12);
  assert.ok(!text.includes(ID1), 'the draft is not readable in the file');
  const back = await decryptExport(text, 'kata sandi rahasia');
  assert.deepEqual(back, payload);
  assert.deepEqual(new Uint8Array(Buffer.from(back.files[SHA_A].data, 'base64')), bytes);
  assert.equal(back.exported_at, '2026-11-23T01:02:03.000Z');
});

test('two exports of the same drafts use a fresh salt and IV', async () => {
  const payload = buildPayload({ accountId: 'ab', drafts: [], files: {} });
  const [a, b] = await Promise.all([encryptExport(payload, 'kata sandi 1'), encryptExport(payload, 'kata sandi 1')]);
  assert.notEqual(JSON.parse(a).kdf.salt, JSON.parse(b).kdf.salt);
  assert.notEqual(JSON.parse(a).cipher.iv, JSON.parse(b).cipher.iv);
});

test('a wrong passphrase or an altered file does not decrypt', async () => {
  const text = await encryptExport(buildPayload({ accountId: 'ab', drafts: [draft(ID1)], files: {} }), 'kata sandi benar');
  await assert.rejects(decryptExport(text, 'kata sandi salah'), WrongPassphrase);
  const env = JSON.parse(text);
  const data = Buffer.from(env.data, 'base64');
  data[0] ^= 1;
  await assert.rejects(decryptExport(JSON.stringify({ ...env, data: data.toString('base64') }), 'kata sandi benar'), WrongPassphrase);
});

test('a file of another format, or with a weak key derivation, is refused before any decryption', () => {
  assert.throws(() => parseEnvelope('not json'), ExportUnreadable);
  assert.throws(() => parseEnvelope(JSON.stringify({ format: 'other' })), ExportUnreadable);
  assert.throws(() => parseEnvelope(JSON.stringify({ format: FORMAT, kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: 1000, salt: '' },
    cipher: { name: 'AES-GCM', iv: '' }, data: '' })), ExportUnreadable);
});
