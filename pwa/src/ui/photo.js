// A photo or document field: take or pick a file, see the result as it will be sent (after
// compression on the device), retake or replace it. The draft keeps only {sha256, size, mime, field};
// the bytes live in the local blob store (data/blobs.js) until the server confirms them.
import { t } from '../i18n.js';
import { h } from './dom.js';
import { allowedMime } from '../forms/validate.js';
import { isWalletRef, walletChoices, walletValue } from '../data/blobstate.js';
import { walletMeta } from './wallet.js';

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/**
 * `files` (from the draft page): {store(blob, fieldId, mime, filename) -> value,
 * forget(value, fieldId), record(value) -> {state, has_bytes, error}|null, bytes(value) -> Blob|null,
 * wallet() -> wallet docs}. Without it (no account on the device) the control stays disabled. A
 * field naming a `requirement` may take a wallet document instead: a reference the server
 * resolves, never uploaded from here.
 */
export function fileControl(field, values, set, common, files, fieldLabel) {
  const isPhoto = field.type === 'photo';
  const accept = isPhoto ? 'image/*' : 'image/*,application/pdf';
  const input = h('input', { ...common, type: 'file', accept, capture: isPhoto ? 'environment' : null, disabled: !files });
  if (!files) return input;
  const preview = h('div', { class: 'file-preview', 'data-file-preview': field.id });
  const note = h('p', { class: 'muted file-note', 'data-file-note': field.id, role: 'status' });
  // the native control stays hidden ("Choose File / No file chosen" beside our own button only
  // confused); this button opens it, and the preview and note below say what is attached
  const pick = h('button', { type: 'button', class: 'secondary', 'data-file-pick': field.id, 'aria-describedby': `${common.id}-label`,
    onclick: () => input.click() });
  let url = null;
  const canWallet = Boolean(field.requirement && files.wallet);
  const choices = h('ul', { class: 'plain wallet-choices', 'data-wallet-choices': field.id, hidden: true });

  const show = async () => {
    const value = values[field.id];
    if (url) { URL.revokeObjectURL(url); url = null; }
    pick.textContent = value ? (isPhoto ? t('file.retake') : t('file.replace')) : (isPhoto ? t('file.take_photo') : t('file.choose_document'));
    if (!value?.sha256) { preview.replaceChildren(); note.textContent = ''; return; }
    const [rec, bytes] = await Promise.all([files.record(value).catch(() => null), files.bytes(value).catch(() => null)]);
    if (bytes && value.mime.startsWith('image/')) {
      url = URL.createObjectURL(bytes);
      preview.replaceChildren(h('img', { src: url, alt: t('file.preview', { label: fieldLabel }), 'data-sha256': value.sha256 }));
    } else {
      preview.replaceChildren();
    }
    if (isWalletRef(value)) {
      const doc = files.wallet ? (await files.wallet().catch(() => [])).find((d) => d._id === `wallet:${value.wallet}`) : null;
      note.textContent = t('wallet.picked', { label: doc?.label || value.wallet });
    } else if (rec?.state === 'refused') note.textContent = `${rec.error?.message || rec.error?.code || ''} ${t('file.refused_note')}`;
    else if (rec?.state === 'confirmed') note.textContent = t('file.on_server', { size: sizeText(value.size) });
    else if (!bytes) note.textContent = t('file.missing');
    else if (value.mime === 'application/pdf') note.textContent = t('file.pdf', { size: sizeText(value.size) });
    else note.textContent = t('file.saved', { size: sizeText(value.size) });
  };

  input.addEventListener('change', async () => {
    const file = input.files?.[0];
    if (!file) return;
    input.disabled = true;
    pick.disabled = true;
    note.textContent = file.type === 'application/pdf' ? '' : t('file.processing');
    try {
      const { prepareFile } = await import('../data/compress.js');
      const { blob, mime } = await prepareFile(file, field.type);
      const previous = values[field.id];
      const value = await files.store(blob, field.id, mime, file.name || '');
      set(value);
      if (previous?.sha256 && previous.sha256 !== value.sha256) files.forget(previous, field.id).catch(console.error);
    } catch (err) {
      console.error(err);
      if (err.reason === 'too_large') note.textContent = t('file.too_large', { size: sizeText(err.detail.size) });
      else if (err.reason === 'wrong_type') note.textContent = t('file.wrong_type');
      else note.textContent = t('file.failed');
      input.value = '';
      input.disabled = false;
      pick.disabled = false;
      return;
    }
    input.value = '';
    input.disabled = false;
    pick.disabled = false;
    await show();
  });
  const choose = (doc) => {
    const previous = values[field.id];
    const value = walletValue(doc, field.id);
    set(value);
    if (previous?.sha256 && !isWalletRef(previous) && previous.sha256 !== value.sha256) files.forget(previous, field.id).catch(console.error);
    choices.hidden = true;
    show().catch(console.error);
  };
  const fromWallet = canWallet ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'pick-wallet', 'data-field': field.id,
    'aria-expanded': 'false', onclick: async (e) => {
      const button = e.currentTarget;
      if (!choices.hidden) { choices.hidden = true; button.setAttribute('aria-expanded', 'false'); return; }
      const allowed = allowedMime(field);
      const docs = walletChoices(await files.wallet().catch(() => []), field.requirement).filter((d) => allowed.includes(d.mime));
      choices.replaceChildren(...(docs.length ? docs.map((doc) => h('li', {},
        h('button', { type: 'button', class: 'secondary', 'data-wallet-choice': doc._id.slice('wallet:'.length), onclick: () => choose(doc) },
          doc.label || doc.requirement_id || ''),
        ' ', h('small', { class: 'muted' }, walletMeta(doc),
          doc.requirement_id === field.requirement ? ` · ${t('wallet.same_requirement')}` : '')))
        : [h('li', { class: 'muted' }, t('wallet.empty'))]));
      choices.hidden = false;
      button.setAttribute('aria-expanded', 'true');
    } }, t('wallet.pick')) : null;
  show().catch(console.error);
  return h('div', { class: 'file-field', id: `${common.id}-box` }, input, preview, h('p', {}, pick, fromWallet ? ' ' : null, fromWallet),
    choices, note);
}
