// "Siapa yang mengakses data saya": every time staff opened the person's data, from
// `GET /api/saya/akses` (online only; nothing of it is kept on the device). The server sends the
// agency and role, never a staff member's name, and this screen shows only what it sends.
import { t } from '../i18n.js';
import { api, ApiError } from '../data/api.js';
import { h } from './dom.js';
import { formatTime } from './time.js';
import { backHome } from './nav.js';
import { indonesian } from './text.js';

function visitText(e) {
  if (!e.views && !e.files) return null;
  return [e.views > 1 ? t('access.views', { n: e.views }) : null, e.files ? t('access.files', { n: e.files }) : null].filter(Boolean).join(', ');
}

function entryItem(e) {
  const visit = visitText(e);
  return h('li', { 'data-access': '' },
    h('strong', {}, indonesian(e.action_label || '')), visit ? h('span', {}, ` (${visit})`) : null, h('br'),
    h('small', { class: 'muted' }, [e.at ? formatTime(e.at) : null, e.agency, e.role_label].filter(Boolean).join(' · ')),
    e.purpose ? [h('br'), h('small', {}, t('access.purpose', { text: e.purpose }))] : null,
    e.tracking_number ? [h('br'), h('small', {}, t('access.tracking', { n: e.tracking_number }))] : null);
}

/** `#/akses`: the history on a screen of its own, reached from the home screen. */
export function renderAccess(app) {
  app.replaceChildren(backHome(), h('h1', {}, t('access.title')), h('p', { class: 'muted' }, t('access.explain')), accessSection(false));
}

/** The section, filled in once the list arrives. */
export function accessSection(withHeading = true) {
  const body = h('div', { 'data-testid': 'access-log', id: 'access-log' });
  const section = h('section', { class: 'card', 'aria-label': t('access.title') },
    withHeading ? h('h2', {}, t('access.title')) : null, body);
  if (!navigator.onLine) {
    body.append(h('p', { class: 'muted' }, t('access.offline')));
    return section;
  }
  body.append(h('p', { class: 'muted', role: 'status' }, t('access.loading')));
  api('/api/saya/akses').then((data) => {
    const entries = Array.isArray(data?.entries) ? data.entries : [];
    body.replaceChildren(entries.length
      ? h('ul', { class: 'plain' }, entries.map(entryItem))
      : h('p', { class: 'muted' }, t('access.empty')));
  }).catch((err) => {
    const offline = err instanceof ApiError && err.status === 0;
    body.replaceChildren(h('p', { class: 'msg' }, offline ? t('access.offline') : (err instanceof ApiError && err.status ? err.message : t('access.failed'))));
  });
  return section;
}
