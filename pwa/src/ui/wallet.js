// "Dompet dokumen" (`#/dompet`): documents the server issued to the person or an officer
// verified, as `wallet:<id>` docs replicated into the person's database. Each opens from the
// device's copy, fetched from the server the first time while online; a form's document field
// can reuse one instead of a new photo (ui/photo.js).
import { t } from '../i18n.js';
import { listWallet } from '../data/drafts.js';
import { lastAccountId } from '../data/me.js';
import { h } from './dom.js';
import { formatDate } from './time.js';

/** "Diterbitkan · Dinas Kesehatan · 23 November 2026" */
export function walletMeta(doc) {
  const parts = [t(doc.source === 'issued' ? 'wallet.source.issued' : 'wallet.source.verified'), doc.verified_by_agency,
    doc.verified_at ? formatDate(doc.verified_at) : null];
  return parts.filter(Boolean).join(' · ');
}

function filename(doc) {
  const ext = doc.mime === 'application/pdf' ? 'pdf' : (doc.mime || '').split('/')[1] || 'bin';
  return `${(doc.label || 'dokumen').replace(/[^\w.-]+/g, '_')}.${ext}`;
}

/** A button that opens a server-held file (kept on the device after the first time), with its status line. */
export function openButton(ref, { label, name, testid = null }) {
  const note = h('p', { class: 'muted', role: 'status' });
  const button = h('button', { type: 'button', class: 'secondary', 'data-testid': testid, onclick: async () => {
    button.disabled = true;
    note.textContent = navigator.onLine ? t('output.downloading') : '';
    let files = null;
    try {
      files = await import('../data/serverfiles.js');
      const { serverFile, openFile } = files;
      const blob = await serverFile(ref);
      if (!blob) { note.textContent = t('output.offline'); return; }
      note.textContent = t('output.kept');
      openFile(blob, name);
    } catch (err) {
      console.warn('document not opened', err.status || err.name);
      note.textContent = t(files && err instanceof files.ChecksumMismatch ? 'output.corrupt' : 'output.failed');
    } finally {
      button.disabled = false;
    }
  } }, label);
  import('../data/serverfiles.js').then(({ hasServerFile }) => hasServerFile(ref.sha256)).then((kept) => {
    if (kept) note.textContent = t('output.kept');
    else if (!navigator.onLine) note.textContent = t('output.offline');
  }).catch(() => {});
  return [button, note];
}

export async function renderWallet(app) {
  const back = h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, t('error.home')));
  if (!lastAccountId()) {
    app.replaceChildren(back, h('h1', {}, t('wallet.title')), h('p', { class: 'card' }, t('drafts.no_account'), ' ',
      h('a', { href: '#/masuk' }, t('signin.title'))));
    return;
  }
  const docs = await listWallet();
  app.replaceChildren(back, h('h1', {}, t('wallet.title')),
    h('p', { class: 'muted' }, t('wallet.explain')),
    h('section', { class: 'card' }, docs.length
      ? h('ul', { class: 'plain', id: 'wallet' }, docs.map((doc) => h('li', { 'data-wallet': doc._id.slice('wallet:'.length) },
        h('strong', {}, doc.label || doc.requirement_id || ''), h('br'),
        h('small', { class: 'muted' }, walletMeta(doc)), h('br'),
        ...openButton(doc, { label: t('wallet.open'), name: filename(doc) }))))
      : h('p', { id: 'wallet-empty' }, t('wallet.empty'))));
}
