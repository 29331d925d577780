// What an application on the server leads to, on the draft page: the document a completed
// application issued (kept on the device to open offline), and "Batalkan permohonan" while the
// application is still open (online only; the status doc that follows says `withdrawn`).
import { t } from '../i18n.js';
import { api, ApiError } from '../data/api.js';
import { outputFilename } from '../data/serverfiles.js';
import { h } from './dom.js';
import { formatDate } from './time.js';
import { openButton } from './wallet.js';

/** The issued document: title, number, validity, "Buka dokumen". */
export function outputCard(output) {
  return h('section', { class: 'card', id: 'output', 'data-sha256': output.sha256 },
    h('h2', {}, output.title || t('output.title')),
    output.number ? h('p', { id: 'output-number' }, t('output.number', { n: output.number })) : null,
    output.valid_until ? h('p', {}, t('output.valid_until', { date: formatDate(output.valid_until) })) : null,
    output.development ? h('p', { class: 'msg', id: 'output-development' }, t('output.development')) : null,
    ...openButton(output, { label: t('output.open'), name: outputFilename(output), testid: 'open-output' }),
    output.verify_url ? h('p', { class: 'muted' }, t('output.verify'), ' ',
      h('a', { href: output.verify_url, rel: 'noopener', target: '_blank' }, output.verify_url)) : null);
}

/** "Batalkan permohonan", with a confirmation step, for the application with this tracking number. */
export function withdrawControl(trackingNumber) {
  const note = h('p', { role: 'status', id: 'withdraw-msg' });
  const confirmBox = h('div', { hidden: true, id: 'withdraw-confirm' },
    h('p', { role: 'alert' }, t('withdraw.confirm')));
  const start = h('button', { type: 'button', class: 'secondary', 'data-testid': 'withdraw', onclick: () => {
    note.textContent = '';
    if (!navigator.onLine) { note.textContent = t('withdraw.offline'); return; }
    confirmBox.hidden = false;
    start.hidden = true;
  } }, t('withdraw.button'));
  const close = () => { confirmBox.hidden = true; start.hidden = false; };
  const yes = h('button', { type: 'button', 'data-testid': 'withdraw-confirm', onclick: async () => {
    if (!navigator.onLine) { close(); note.textContent = t('withdraw.offline'); return; }
    yes.disabled = true;
    note.textContent = t('withdraw.sending');
    try {
      await api(`/api/permohonan/${encodeURIComponent(trackingNumber)}/batal`, { method: 'POST', body: { note: '' } });
      confirmBox.hidden = true;
      note.textContent = t('withdraw.sent');
      import('../data/sync.js').then((sync) => sync.syncNow()).catch(() => {}); // the status doc comes sooner
    } catch (err) {
      close();
      note.textContent = err instanceof ApiError ? err.message : t('withdraw.failed');
    } finally {
      yes.disabled = false;
    }
  } }, t('withdraw.yes'));
  confirmBox.append(h('p', {}, yes, ' ', h('button', { type: 'button', class: 'secondary', onclick: close }, t('withdraw.no'))));
  return h('div', { id: 'withdraw' }, h('p', {}, start), confirmBox, note);
}
