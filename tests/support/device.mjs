// A phone, as far as sync is concerned: a PouchDB database kept on disk between runs and one-shot
// replication to the person's /sync/me through whatever network sits in between.
//
//   node tests/support/device.mjs '<json>'     (or the JSON on standard input, for long lists)
//   {"dir": "...", "remote": "http://host:port/sync/me", "cookie": "mpp_session=...", "headers": {...},
//    "add": [{"region_code": "21.71", "service_id": "...", "service_version": 1, "values": {...}}, ...],
//    "edit": [{"id": "draft:…", "set": {"values": {...}}}],
//    "push": true, "pull": true, "attempts": 50, "batch_size": 100, "timings": false}
//
// Prints one JSON line: drafts on the device, push/pull results, attempts used, errors seen.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const PouchDB = require('pouchdb');

const args = JSON.parse(process.argv[2] ?? readFileSync(0, 'utf8'));
const errors = [];
// PouchDB's http adapter lets some failed set-up requests reject unobserved; on a phone that is a
// console message, not a crash — the replication itself reports the failure and is retried
process.on('unhandledRejection', (err) => errors.push(`unhandled: ${err?.code || ''} ${(err?.message || '').slice(0, 80)}`));
mkdirSync(args.dir, { recursive: true });
const local = new PouchDB(`${args.dir}/drafts`);
const requests = [];
const remote = new PouchDB(args.remote, {
  skip_setup: true,
  fetch: async (url, opts) => {
    if (args.cookie) opts.headers.set('Cookie', args.cookie);
    for (const [k, v] of Object.entries(args.headers || {})) opts.headers.set(k, v);
    const started = performance.now();
    const response = await PouchDB.fetch(url, opts);
    const path = new URL(url).pathname.split('/').pop() || '/';
    requests.push({ method: opts.method || 'GET', what: path.startsWith('_') ? path : 'doc', ms: performance.now() - started, status: response.status });
    return response;
  },
});

const now = () => new Date().toISOString();
const added = [];
for (const spec of args.add || []) {
  const id = `draft:${randomUUID()}`;
  const at = now();
  await local.put({
    _id: id, type: 'draft', service_id: spec.service_id, service_version: spec.service_version, region_code: spec.region_code,
    applicant: { kind: 'self' }, values: spec.values, state: spec.state || 'submitted',
    submission_id: spec.state === 'draft' ? null : randomUUID(),
    created_at: at, updated_at: at, submitted_at: spec.state === 'draft' ? null : at, client: 'device-sim',
  });
  added.push(id);
}

// edits made on this phone: [{"id": "draft:…", "set": {"values": {...}}}]
for (const edit of args.edit || []) {
  const doc = await local.get(edit.id);
  await local.put({ ...doc, ...edit.set, updated_at: now() });
}

async function once(direction) {
  const opts = { batch_size: args.batch_size || 100 };
  const result = direction === 'push' ? await local.replicate.to(remote, opts) : await local.replicate.from(remote, opts);
  if (result.status !== 'complete') throw new Error(`replication ${result.status}`);
  return result;
}

// retry until a replication completes end to end, as the app's live sync (retry: true) would
async function until(direction) {
  for (let attempt = 1; attempt <= (args.attempts || 50); attempt++) {
    try {
      const r = await once(direction);
      return { attempts: attempt, docs_written: r.docs_written, doc_write_failures: r.doc_write_failures, denied: (r.errors || []).length };
    } catch (err) {
      errors.push(`${direction}: ${err.status || ''} ${err.name || ''} ${(err.message || '').slice(0, 80)}`);
      await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500)));
    }
  }
  return { attempts: args.attempts || 50, failed: true };
}

const out = { added };
const began = performance.now();
if (args.push) out.push = await until('push');
if (args.pull) out.pull = await until('pull');
out.wall_ms = performance.now() - began;
if (args.timings) out.requests = requests;
const all = await local.allDocs({ include_docs: true, conflicts: true });
out.conflicts = Object.fromEntries(all.rows.filter((r) => r.doc._conflicts).map((r) => [r.id, r.doc._conflicts]));
out.drafts = all.rows.filter((r) => r.id.startsWith('draft:')).map((r) => r.id);
out.statuses = all.rows.filter((r) => r.id.startsWith('status:')).map((r) => ({ id: r.id, state: r.doc.state, tracking_number: r.doc.tracking_number, submission_id: r.doc.submission_id }));
out.errors = errors;
await local.close();
console.log(JSON.stringify(out));
