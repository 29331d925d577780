// A photo or document field: take or pick a file, see the result as it will be sent (after
// compression on the device), retake or replace it. The draft keeps only {sha256, size, mime, field};
// the bytes live in the local blob store (data/blobs.js) until the server confirms them.
import { t } from '../i18n.js';
import { h } from './dom.js';

function sizeText(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace('.', ',')} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/**
 * `files` (from the draft page): {store(blob, fieldId, mime, filename) -> value,
 * forget(value, fieldId), record(value) -> {state, has_bytes, error}|null, bytes(value) -> Blob|null}.
 * Without it (no account on the device) the control stays disabled.
 */
export function fileControl(field, values, set, common, files, fieldLabel) {
  const isPhoto = field.type === 'photo';
  const accept = isPhoto ? 'image/*' : 'image/*,application/pdf';
  const input = h('input', { ...common, type: 'file', accept, capture: isPhoto ? 'environment' : null, disabled: !files });
  if (!files) return input;
  const preview = h('div', { class: 'file-preview', 'data-file-preview': field.id });
  const note = h('p', { class: 'muted file-note', 'data-file-note': field.id, role: 'status' });
  const pick = h('button', { type: 'button', class: 'secondary', 'data-file-pick': field.id, onclick: () => input.click() });
  let url = null;

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
    if (rec?.state === 'refused') note.textContent = `${rec.error?.message || rec.error?.code || ''} ${t('file.refused_note')}`;
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
  show().catch(console.error);
  return h('div', { class: 'file-field', id: `${common.id}-box` }, input, preview, h('p', {}, pick), note);
}
