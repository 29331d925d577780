// Whether the app can reach its server, worked out from what really happened: the browser's
// online flag says only that there is a network, not that requests get through (a phone with
// signal and no working internet, a captive portal). Pure, so node --test runs it.

/** 'offline' (no network), 'checking' (network, no request answered yet), 'online', 'unreachable'. */
export function initialConnection(browserOnline) {
  return browserOnline ? 'checking' : 'offline';
}

/**
 * The next state after an event: {type: 'offline'|'online'} from the browser, or
 * {type: 'success'|'failure'} from a request to our own server.
 */
export function nextConnection(state, event, browserOnline) {
  if (event.type === 'offline') return 'offline';
  if (event.type === 'online') return 'checking';
  if (event.type === 'success') return 'online';
  if (event.type === 'failure') return browserOnline ? 'unreachable' : 'offline';
  return state;
}

/**
 * Did a response come from our server? A proxy or captive portal answers with HTML or an
 * empty gateway error; our API always answers JSON, also for its own errors.
 */
export function reachedServer(status, contentType) {
  const json = (contentType || '').includes('json');
  if (json) return true;
  if ([502, 503, 504].includes(status)) return false;
  return status >= 200 && status < 300 ? false : status < 500;
}
