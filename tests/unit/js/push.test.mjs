// What a push message shows and where tapping it leads (the service worker runs this code),
// when the app offers notifications, and the server key as applicationServerKey bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createECDH } from 'node:crypto';
import {
  FALLBACK_BODY, FALLBACK_TITLE, iosTab, isStaff, keyBytes, notificationFor, offerAfterSubmit, sameKey, trackingUrl, withTimeout,
} from '../../../pwa/src/data/pushstate.js';

const N = 'MPP-2171-2026-000123';
const PAYLOAD = { n: N, s: 'needs_revision', title: 'Permohonan perlu perbaikan', body: 'Foto KTP buram. Perbaiki lalu kirim ulang.' };

test('a push message shows its title and body, one notification per application', () => {
  const { title, options } = notificationFor(JSON.stringify(PAYLOAD), '/icons/icon-192.png');
  assert.equal(title, PAYLOAD.title);
  assert.deepEqual(options, { body: PAYLOAD.body, lang: 'id', data: { n: N, s: 'needs_revision' }, tag: `permohonan-${N}`,
    renotify: true, icon: '/icons/icon-192.png' });
});

test('an empty, unreadable or incomplete message still shows a notification in Indonesian', () => {
  for (const raw of [null, '', 'not json', '[]', '42', '{}', JSON.stringify({ title: '  ' })]) {
    const { title, options } = notificationFor(raw);
    assert.equal(title, FALLBACK_TITLE, raw);
    assert.equal(options.body, FALLBACK_BODY);
    assert.equal(options.tag, undefined, 'no application to group under');
    assert.deepEqual(options.data, { n: null, s: null });
  }
  const onlyNumber = notificationFor(JSON.stringify({ n: N, s: 'made-up' }));
  assert.equal(onlyNumber.options.body, FALLBACK_BODY);
  assert.equal(onlyNumber.options.tag, `permohonan-${N}`);
  assert.deepEqual(onlyNumber.options.data, { n: N, s: null });
});

test('tapping leads to the application by its tracking number, or the inbox without one', () => {
  assert.equal(trackingUrl(N), `/#/nomor/${N}`);
  assert.equal(trackingUrl('A/B C'), '/#/nomor/A%2FB%20C');
  assert.equal(trackingUrl(null), '/#/kotak-masuk');
});

test('the server key becomes the 65 bytes of an uncompressed P-256 point', () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const raw = ecdh.getPublicKey();
  const b64u = raw.toString('base64url');
  assert.equal(b64u.length, 87);
  const bytes = keyBytes(b64u);
  assert.equal(bytes.length, 65);
  assert.equal(bytes[0], 4);
  assert.deepEqual(Buffer.from(bytes), raw);
  assert.equal(sameKey(bytes.buffer, bytes), true);
  assert.equal(sameKey(new Uint8Array(65).buffer, bytes), false);
  assert.equal(sameKey(null, bytes), false);
});

const citizen = { id: 'a', roles: ['citizen'] };

test('a citizen is asked once after their own submission, while the browser has not been answered', () => {
  const base = { account: citizen, supported: true, permission: 'default', declined: false, ios: false };
  assert.equal(offerAfterSubmit(base), 'ask');
  assert.equal(offerAfterSubmit({ ...base, declined: true }), null, '"Nanti saja" on this device');
  assert.equal(offerAfterSubmit({ ...base, permission: 'granted' }), null);
  assert.equal(offerAfterSubmit({ ...base, permission: 'denied' }), null);
  assert.equal(offerAfterSubmit({ ...base, supported: false }), null);
  assert.equal(offerAfterSubmit({ ...base, account: null }), null);
});

test('staff filing for someone else are never asked', () => {
  assert.equal(isStaff(citizen), false);
  assert.equal(isStaff({ roles: ['field_officer'] }), true);
  assert.equal(offerAfterSubmit({ account: { roles: ['field_officer'] }, supported: true, permission: 'default', declined: false, ios: false }), null);
});

test('iPhone and iPad in a browser tab are told to add the app to the Home Screen first', () => {
  const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Version/17.4 Mobile/15E148 Safari/604.1';
  const ipad = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15';
  assert.equal(iosTab({ userAgent: iphone }), true);
  assert.equal(iosTab({ userAgent: ipad, platform: 'MacIntel', maxTouchPoints: 5 }), true);
  assert.equal(iosTab({ userAgent: ipad, platform: 'MacIntel', maxTouchPoints: 0 }), false, 'a Mac');
  assert.equal(iosTab({ userAgent: iphone, standalone: true }), false);
  assert.equal(iosTab({ userAgent: iphone, displayStandalone: true }), false);
  assert.equal(iosTab({ userAgent: 'Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile' }), false);
  assert.equal(offerAfterSubmit({ account: citizen, supported: false, permission: 'unsupported', declined: false, ios: true }), 'home_screen');
});

test('a subscription that never settles ends with the given error', async () => {
  await assert.rejects(withTimeout(new Promise(() => {}), 10, () => new Error('late')), /late/);
  assert.equal(await withTimeout(Promise.resolve(7), 1000, () => new Error('late')), 7);
});
