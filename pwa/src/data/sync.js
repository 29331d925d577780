// Live two-way replication between the person's local database and `/sync/me` (the gateway
// maps it to their own CouchDB database). Observable: last sync, how many drafts still wait to
// be sent, and one status (offline | unreachable | syncing | idle | needs_sign_in | error). A 401 stops it
// and keeps everything on the device; signing in again resumes it.
import { remoteDb } from './db.js';
import { lastAccountId, remember, rememberedAccount } from './me.js';
import { draftsDb, markDenied, markKnown, onLocalChange, pendingDrafts, purgeFinished } from './drafts.js';
import { DRAFT_PREFIX, backOff, storageLow, syncErrorKind } from './draftstate.js';
import { reportFailure, reportSuccess } from './connection.js';

const REMOTE = '/sync/me';

let state = { status: navigator.onLine ? 'idle' : 'offline', lastSync: null, pending: 0, denied: 0, message: '', storageLow: false };
const subscribers = new Set();
let running = null; // {accountId, push, pull, remote, idle: {push, pull}}
let generation = 0;

function lastSyncKey(accountId) {
  return `sync-last:${accountId}`;
}

function set(patch) {
  state = { ...state, ...patch };
  for (const fn of subscribers) {
    try { fn(state); } catch (err) { console.error(err); }
  }
}

export function syncState() {
  return state;
}

/** fn(state) now and on every change; returns the unsubscribe function. */
export function subscribe(fn) {
  subscribers.add(fn);
  fn(state);
  return () => subscribers.delete(fn);
}

export async function refreshPending() {
  try {
    const drafts = await pendingDrafts();
    set({ pending: drafts.filter((d) => !d.denied).length, denied: drafts.filter((d) => d.denied).length });
  } catch (err) {
    console.error(err);
  }
}

async function checkStorage() {
  try {
    if (navigator.storage?.estimate) set({ storageLow: storageLow(await navigator.storage.estimate()) });
  } catch { /* not available: nothing to warn about */ }
}

export function stopSync() {
  generation += 1;
  if (running) {
    running.push.cancel();
    running.pull.cancel();
    running = null;
  }
}

function touchLastSync(accountId) {
  const at = new Date().toISOString();
  localStorage.setItem(lastSyncKey(accountId), at);
  set({ lastSync: at });
}

// The server may hold revisions our marks miss (the app closed mid-push, or another device sent
// the same revision): ask it once, through _revs_diff, about the drafts that look unsent.
async function reconcile(run) {
  const pending = (await pendingDrafts()).filter((d) => !d.denied);
  if (!pending.length) return;
  const diff = await run.remote.revsDiff(Object.fromEntries(pending.map((d) => [d.id, [d.rev]])));
  const have = pending.filter((d) => !diff[d.id]?.missing?.includes(d.rev));
  if (have.length) await markKnown(run.accountId, have.map((d) => ({ _id: d.id, _rev: d.rev })));
}

// A push only counts once the server says it holds the revision (_revs_diff): a 201 alone has
// been seen to hide a dropped revision. One more try for such a revision, then it stays pending.
async function confirmPushed(run, docs) {
  const drafts = docs.filter((d) => d._id?.startsWith(DRAFT_PREFIX) && d._rev);
  if (!drafts.length) return;
  const asked = {};
  for (const d of drafts) (asked[d._id] ||= []).push(d._rev);
  const diff = await run.remote.revsDiff(asked);
  const missing = (d) => Boolean(diff[d._id]?.missing?.includes(d._rev));
  await markKnown(run.accountId, drafts.filter((d) => !missing(d)));
  const lost = drafts.filter(missing).filter((d) => !run.retried.has(`${d._id} ${d._rev}`));
  if (!lost.length || run !== running) return;
  lost.forEach((d) => run.retried.add(`${d._id} ${d._rev}`));
  const again = run.local.replicate.to(run.remote, { doc_ids: [...new Set(lost.map((d) => d._id))] });
  again.on('change', (info) => confirmPushed(run, info.docs || []).then(refreshPending).catch(console.error));
  again.catch(() => {}); // a failure here is an ordinary sync error; the live push goes on
}

function onProblem(run, err) {
  if (run !== running) return;
  const kind = syncErrorKind(err, navigator.onLine);
  if (kind === 'needs_sign_in') {
    stopSync();
    remember(null); // the session is gone; drafts and lastAccountId stay
    set({ status: 'needs_sign_in', message: err.message || '' });
  } else if (kind === 'offline' && navigator.onLine) {
    // a network, but the request did not get through: say so, not "no signal"
    reportFailure();
    set({ status: 'unreachable', message: '' });
  } else {
    set({ status: kind, message: kind === 'error' ? (err.message || '') : '' });
  }
}

function watch(run, direction, rep) {
  rep.on('active', () => {
    if (run !== running) return;
    run.idle[direction] = false;
    set({ status: 'syncing', message: '' });
  });
  rep.on('change', (info) => {
    const done = direction === 'push' ? confirmPushed(run, info.docs || []) : markKnown(run.accountId, info.docs || []);
    done.then(refreshPending).catch(console.error);
  });
  if (direction === 'push') {
    // the gateway refused a revision: it stays on the device, with the reason shown on it
    rep.on('denied', (err) => {
      const id = err.id || err.docId;
      if (id) markDenied(run.accountId, id, err.reason || err.message || '').then(refreshPending).catch(console.error);
    });
  }
  rep.on('paused', (err) => {
    if (run !== running) return;
    if (err) { onProblem(run, err); return; }
    run.idle[direction] = true;
    reportSuccess();
    if (run.idle.push && run.idle.pull) {
      touchLastSync(run.accountId);
      set({ status: 'idle', message: '' });
    }
    if (direction === 'push') reconcile(run).then(refreshPending).catch(() => refreshPending());
    // after the first pull the status docs are current: finished applications may leave the device
    if (direction === 'pull' && !run.purgeChecked) {
      run.purgeChecked = true;
      purgeFinished(run.accountId).catch(console.error);
    }
  });
  // every failed attempt (paused(err) fires only for the first one of a series)
  rep.on('requestError', (err) => onProblem(run, err));
  rep.on('error', (err) => onProblem(run, err));
}

/**
 * Start (or keep) live sync for the account last seen on this device. `force` restarts it,
 * which also resets the retry wait: used by "Sinkronkan sekarang", `online` and sign-in.
 */
export async function startSync({ force = false } = {}) {
  const accountId = lastAccountId();
  if (!accountId) return;
  if (running && running.accountId === accountId && !force) return;
  stopSync();
  const mine = generation;
  set({ lastSync: localStorage.getItem(lastSyncKey(accountId)) });
  refreshPending();
  checkStorage();
  if (!rememberedAccount()) { set({ status: 'needs_sign_in', message: '' }); return; }
  if (!navigator.onLine) { set({ status: 'offline', message: '' }); return; }
  const [local, remote] = await Promise.all([draftsDb(accountId), remoteDb(REMOTE)]);
  if (mine !== generation) return; // another start or stop came first
  const opts = { live: true, retry: true, back_off_function: backOff, batch_size: 50 };
  const run = { accountId, local, remote, idle: { push: false, pull: false }, retried: new Set() };
  run.push = local.replicate.to(remote, opts);
  run.pull = local.replicate.from(remote, opts);
  running = run;
  set({ status: 'syncing', message: '' });
  watch(run, 'push', run.push);
  watch(run, 'pull', run.pull);
}

export function syncNow() {
  return startSync({ force: true });
}

let wired = false;
function wire() {
  if (wired) return;
  wired = true;
  window.addEventListener('online', () => startSync({ force: true }));
  window.addEventListener('offline', () => {
    stopSync();
    set({ status: 'offline', message: '' });
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && navigator.onLine && ['offline', 'unreachable', 'error'].includes(state.status)) {
      startSync({ force: true });
    }
  });
  let timer = null;
  onLocalChange(() => {
    clearTimeout(timer);
    timer = setTimeout(() => { refreshPending(); checkStorage(); }, 200);
  });
}
wire();
