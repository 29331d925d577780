// A region's catalog on the device: pulled read-only from /sync/catalog/<region>; the
// replication checkpoint stays on the device (checkpoint: 'target'), so the server keeps nothing.
import { localDb, remoteDb } from './db.js';

const dbs = new Map();

function catalogDb(region) {
  if (!dbs.has(region)) dbs.set(region, localDb(`catalog-${region}`));
  return dbs.get(region);
}

export function lastPulled(region) {
  return localStorage.getItem(`catalog-pulled:${region}`);
}

/**
 * Pull the region's catalog. `onProgress({done, total})` follows a first download (total is the
 * server's document count, asked beside the pull, so nothing waits for it); a first pull goes in
 * smaller batches so the count moves on a slow line.
 */
export async function pullCatalog(region, onProgress = null) {
  const local = await catalogDb(region);
  const remote = await remoteDb(`/sync/catalog/${region}`);
  let total = null;
  let done = 0;
  if (onProgress) {
    remote.info().then((info) => { total = info.doc_count; onProgress({ done, total }); }).catch(() => {});
  }
  const replication = local.replicate.from(remote, { checkpoint: 'target', batch_size: onProgress ? 15 : 100 });
  if (onProgress) replication.on('change', (info) => { done = info.docs_written; onProgress({ done, total }); });
  const result = await replication;
  localStorage.setItem(`catalog-pulled:${region}`, new Date().toISOString());
  return result;
}

async function docs(region, prefix) {
  const db = await catalogDb(region);
  const res = await db.allDocs({ include_docs: true, startkey: prefix, endkey: `${prefix}\ufff0` });
  return res.rows.map((row) => row.doc);
}

export async function regionInfo(region) {
  const db = await catalogDb(region);
  try {
    return await db.get(`region:${region}`);
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

// The version new applications use, one per service.
export async function currentServices(region) {
  return (await docs(region, 'service:')).filter((doc) => doc.current);
}

// A specific version (a draft pins the one it was started with), or the current one.
export async function serviceVersion(region, serviceId, version = null) {
  const all = await docs(region, `service:${serviceId}:`);
  if (version != null) return all.find((doc) => doc.version === Number(version)) || null;
  return all.find((doc) => doc.current) || null;
}
