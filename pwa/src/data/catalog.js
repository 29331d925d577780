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

export async function pullCatalog(region) {
  const local = await catalogDb(region);
  const remote = await remoteDb(`/sync/catalog/${region}`);
  const result = await local.replicate.from(remote, { checkpoint: 'target', batch_size: 100 });
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
