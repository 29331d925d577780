// "Ekspor yang belum terkirim" (`#/ekspor`): every draft the server has not confirmed, with its
// photos and documents, in one file encrypted with a passphrase the person chooses, to take to
// a counter when this phone cannot sync. Loaded only when opened; nothing is deleted by exporting.
import { t } from '../i18n.js';
import { draftsDb, pendingDrafts } from '../data/drafts.js';
import { lastAccountId } from '../data/me.js';
import { fileBytes } from '../data/blobs.js';
import {
  MIN_PASSPHRASE, buildPayload, encryptExport, exportFilename, passphraseProblem, referencedFiles, unsentDocs,
} from '../data/exportfile.js';
import { h } from './dom.js';

/** The drafts and file bytes to export, read from the device now. */
export async function gatherUnsent() {
  const db = await draftsDb();
  const rows = await pendingDrafts();
  const docs = await Promise.all(rows.map((r) => db.get(r.id, { revs: true }).catch(() => null)));
  const drafts = unsentDocs(rows, docs);
  const files = {};
  const missing = [];
  for (const [sha256, mime] of Object.entries(referencedFiles(drafts))) {
    const blob = await fileBytes(sha256).catch(() => null);
    if (blob) files[sha256] = { mime, bytes: new Uint8Array(await blob.arrayBuffer()) };
    else missing.push(sha256); // already uploaded and cleared from the device: the server has it
  }
  return { drafts, files, missing };
}

function download(text, name) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/octet-stream' }));
  const a = h('a', { href: url, download: name, style: 'display:none' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export async function renderExport(app) {
  const accountId = lastAccountId();
  if (!accountId) {
    app.replaceChildren(h('h1', {}, t('export.title')), h('p', { class: 'card' }, t('drafts.no_account')));
    return;
  }
  const rows = await pendingDrafts();
  const status = h('p', { class: 'msg', role: 'alert', id: 'export-msg' });
  const first = h('input', { id: 'export-pass', name: 'pass', type: 'password', autocomplete: 'new-password', minlength: MIN_PASSPHRASE, required: true });
  const second = h('input', { id: 'export-pass2', name: 'pass2', type: 'password', autocomplete: 'new-password', required: true });
  const form = h('form', { class: 'card', id: 'export-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const problem = passphraseProblem(first.value, second.value);
    if (problem) { status.textContent = t(problem, { min: MIN_PASSPHRASE }); return; }
    const button = form.querySelector('button');
    button.disabled = true;
    status.textContent = t('export.working');
    try {
      const { drafts, files } = await gatherUnsent();
      const text = await encryptExport(buildPayload({ accountId, drafts, files }), first.value);
      download(text, exportFilename());
      status.textContent = t('export.done', { count: drafts.length });
    } catch (err) {
      console.error(err);
      status.textContent = t('export.failed');
    } finally {
      button.disabled = false;
    }
  } },
  h('div', { class: 'field' }, h('label', { for: 'export-pass' }, t('export.passphrase', { min: MIN_PASSPHRASE })), first),
  h('div', { class: 'field' }, h('label', { for: 'export-pass2' }, t('export.passphrase_again')), second),
  h('button', { type: 'submit' }, t('export.submit')),
  status);
  app.replaceChildren(
    h('h1', {}, t('export.title')),
    h('p', {}, t('export.explain')),
    h('p', { class: 'muted', id: 'export-count' }, t('export.count', { count: rows.length })),
    rows.length ? form : h('p', { class: 'card' }, t('export.nothing')),
    h('p', {}, h('a', { href: '#/permohonan' }, t('drafts.back'))),
  );
}
