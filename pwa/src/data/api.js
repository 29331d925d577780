import { t } from '../i18n.js';
import { reportFailure, reportSuccess } from './connection.js';
import { reachedServer } from './connstate.js';

// JSON calls to /api. Errors come back as {code, message, details}; the message is already in
// the person's language and says what to do next, so screens show it as it is. Every outcome
// tells data/connection.js whether the server was really reached.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || 'http.error';
    this.details = body?.details || {};
  }
}

function unreachable() {
  reportFailure();
  return new ApiError(0, { code: 'network.offline', message: t(navigator.onLine ? 'net.unreachable' : 'net.no_signal') });
}

export async function api(path, { method = 'GET', body } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    throw unreachable();
  }
  const type = response.headers.get('content-type');
  if (!reachedServer(response.status, type)) throw unreachable();
  reportSuccess();
  let data = null;
  try {
    data = type?.includes('json') ? await response.json() : null;
  } catch {
    throw unreachable(); // the body was cut off on the way
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
