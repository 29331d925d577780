import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialConnection, nextConnection, reachedServer } from '../../../pwa/src/data/connstate.js';

test('with a network but no answer yet the app is checking, not online', () => {
  assert.equal(initialConnection(true), 'checking');
  assert.equal(initialConnection(false), 'offline');
});

test('a failed request while the browser says online means the server is unreachable', () => {
  assert.equal(nextConnection('checking', { type: 'failure' }, true), 'unreachable');
  assert.equal(nextConnection('online', { type: 'failure' }, true), 'unreachable');
  assert.equal(nextConnection('online', { type: 'failure' }, false), 'offline');
});

test('only an answered request makes the state online again', () => {
  assert.equal(nextConnection('unreachable', { type: 'online' }, true), 'checking');
  assert.equal(nextConnection('unreachable', { type: 'success' }, true), 'online');
  assert.equal(nextConnection('online', { type: 'offline' }, false), 'offline');
});

test('HTML from a captive portal or an empty gateway error does not count as reaching the server', () => {
  assert.equal(reachedServer(200, 'application/json'), true);
  assert.equal(reachedServer(503, 'application/json'), true);
  assert.equal(reachedServer(401, 'application/json; charset=utf-8'), true);
  assert.equal(reachedServer(200, 'text/html'), false);
  assert.equal(reachedServer(502, ''), false);
  assert.equal(reachedServer(504, 'text/html'), false);
  assert.equal(reachedServer(404, 'text/plain'), true);
});
