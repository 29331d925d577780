// The app's connection state (data/connstate.js), fed by the browser's online/offline events and
// by the outcome of requests to our server (data/api.js, data/sync.js, the catalog pull).
// While the server cannot be reached, one light request is tried every RETRY_MS.
import { initialConnection, nextConnection } from './connstate.js';

const RETRY_MS = 20_000;
let state = initialConnection(navigator.onLine);
const subscribers = new Set();
let retry = null;
let probeFn = null;

function apply(event) {
  const next = nextConnection(state, event, navigator.onLine);
  if (next === state) return;
  state = next;
  clearTimeout(retry);
  if (state === 'unreachable' && probeFn) retry = setTimeout(() => probeFn(), RETRY_MS);
  for (const fn of subscribers) {
    try { fn(state); } catch (err) { console.error(err); }
  }
}

export function connection() {
  return state;
}

/** True when a request may be worth trying: a network is there and the server was not just unreachable. */
export function mayReachServer() {
  return navigator.onLine;
}

/** fn(state) on every change; returns the unsubscribe function. */
export function onConnection(fn) {
  subscribers.add(fn);
  return () => subscribers.delete(fn);
}

export function reportSuccess() {
  apply({ type: 'success' });
}

export function reportFailure() {
  apply({ type: 'failure' });
}

/** The request tried again while the server is unreachable (main.js: the account check). */
export function setProbe(fn) {
  probeFn = fn;
}

window.addEventListener('online', () => { apply({ type: 'online' }); probeFn?.(); });
window.addEventListener('offline', () => apply({ type: 'offline' }));
