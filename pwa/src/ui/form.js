// An application form rendered from the service version's field spec, on the device, offline.
// Fields and requirements with a `when` condition appear and disappear as the person answers.
// Signed in, the form is a draft saved on the device at every change (ui/drafts.js); before
// that it only checks the answers.
import { t, currentLang } from '../i18n.js';
import { serviceVersion } from '../data/catalog.js';
import { lastAccountId } from '../data/me.js';
import { evaluateLenient } from '../forms/conditions.js';
import { validateValues } from '../forms/validate.js';
import { feeLabel } from './services.js';
import { h } from './dom.js';
import { fileControl } from './photo.js';
import { backTo } from './nav.js';
import { indonesian, localized } from './text.js';
import { requirementItem } from './service.js';

const INPUT_TYPES = { text: 'text', number: 'number', date: 'date', nik: 'text', kk: 'text', phone: 'tel', email: 'email' };

export function today() {
  return new Date().toISOString().slice(0, 10);
}

export function label(item) {
  return (currentLang() === 'en' && item.label_en) || item.label_id;
}

// option labels of seed fields repeat the Indonesian label as label_en; mark them as Indonesian
function labelOf(option) {
  return currentLang() === 'en' && option.label_en === option.label_id ? option.label_id : label(option);
}

/**
 * The applicant's own details for fields the catalog marks `prefill: "ikd"` (their NIK and name)
 * and phone fields, from the signed-in account (`/api/identity/me`, kept on this device).
 */
export function identityValue(field, identity) {
  if (!identity) return undefined;
  if (field.prefill === 'ikd' && field.type === 'nik') return identity.nik || undefined;
  if (field.prefill === 'ikd' && field.type === 'text' && /nama/.test(field.id)) return identity.name || undefined;
  if (field.type === 'phone') return identity.phone ? identity.phone.replace(/^\+62/, '0') : undefined; // as people write it
  return undefined;
}

/** Fields held to the signed-in person's verified identity (not the phone, which they may change). */
export function isIdentityField(field) {
  return field.prefill === 'ikd' && (field.type === 'nik' || (field.type === 'text' && /nama/.test(field.id)));
}

function context(values) {
  return { ...values, _today: today() };
}

/** The choices of a picker field from the region's catalog doc: its kecamatan, or the service's agency's counters. */
export function pickerOptions(field, places) {
  if (field.picker === 'district') return (places?.districts || []).map((d) => ({ value: d.code, label: d.name }));
  if (field.picker === 'service_point') {
    return (places?.locations || []).flatMap((loc) => (loc.counters?.length ? loc.counters : [''])
      .map((counter) => { const value = counter ? `${loc.name} — ${counter}` : loc.name; return { value, label: value }; }));
  }
  return [];
}

function fieldControl(field, values, onChange, files, places, locked) {
  const id = `f-${field.id}`;
  const common = { id, name: field.id, 'aria-describedby': `${id}-msg`, required: field.required || null };
  const set = (value) => { if (value === '' || value == null) delete values[field.id]; else values[field.id] = value; onChange(field.id); };
  const choices = field.picker ? pickerOptions(field, places) : [];
  if (choices.length) {
    // a value typed before the list existed stays choosable, so nothing is lost
    const kept = values[field.id] && !choices.some((c) => c.value === values[field.id]) ? [{ value: values[field.id], label: values[field.id] }] : [];
    return h('select', { ...common, 'data-picker': field.picker, onchange: (e) => set(e.target.value) },
      h('option', { value: '' }, t('form.choose')),
      [...choices, ...kept].map((o) => h('option', { value: o.value, selected: values[field.id] === o.value }, o.label)));
  }
  if (locked) {
    return h('input', { ...common, type: 'text', value: values[field.id] ?? '', readonly: true, 'aria-describedby': `${id}-msg ${id}-lock` });
  }
  switch (field.type) {
    case 'select':
      return h('select', { ...common, onchange: (e) => set(e.target.value) },
        h('option', { value: '' }, t('form.choose')),
        (field.options || []).map((o) => h('option', { value: o.value, selected: values[field.id] === o.value }, labelOf(o))));
    case 'radio':
      return h('div', { role: 'radiogroup', id },
        (field.options || []).map((o) => h('label', { class: 'choice' },
          h('input', { type: 'radio', name: field.id, value: o.value, checked: values[field.id] === o.value, onchange: () => set(o.value) }),
          ` ${label(o)}`)));
    case 'checkbox':
      if (!field.options || !field.options.length) {
        return h('input', { ...common, type: 'checkbox', checked: values[field.id] === true, onchange: (e) => set(e.target.checked || null) });
      }
      return h('div', { id }, field.options.map((o) => h('label', { class: 'choice' },
        h('input', {
          type: 'checkbox', value: o.value, checked: (values[field.id] || []).includes(o.value),
          onchange: (e) => {
            const chosen = new Set(values[field.id] || []);
            if (e.target.checked) chosen.add(o.value); else chosen.delete(o.value);
            set(chosen.size ? [...chosen] : null);
          },
        }), ` ${label(o)}`)));
    case 'textarea':
      return h('textarea', { ...common, rows: 3, oninput: (e) => set(e.target.value) }, values[field.id] || '');
    case 'photo':
    case 'document':
      return fileControl(field, values, set, common, files, label(field));
    default:
      return h('input', {
        ...common, type: INPUT_TYPES[field.type] || 'text', value: values[field.id] ?? '',
        inputmode: ['nik', 'kk', 'phone'].includes(field.type) ? 'numeric' : null,
        maxlength: ['nik', 'kk'].includes(field.type) ? 16 : null,
        oninput: (e) => set(field.type === 'number' && e.target.value !== '' ? Number(e.target.value) : e.target.value),
      });
  }
}

/** The region's districts and the service agency's service points, for picker fields. */
export function placesFor(info, content) {
  const agency = (info?.agencies || []).find((a) => a.kind === content.owner_agency);
  return { districts: info?.districts || [], locations: agency?.locations || [] };
}

/** After a failed check: the first field with a problem comes into view and takes focus. */
export function focusFirstProblem(root) {
  const row = root.querySelector('.field.invalid:not([hidden])');
  if (!row) return;
  row.scrollIntoView({ block: 'center' });
  row.querySelector('input:not([type=hidden]),select,textarea,button')?.focus({ preventScroll: true });
}

function serverMessages(value) {
  if (value == null) return [];
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : v?.message)).filter(Boolean);
  return [typeof value === 'string' ? value : value.message].filter(Boolean);
}

/**
 * The fields and requirement list of one service version, bound to `values` (changed in place).
 * onChange(fieldId, value) runs after each answer. `serverErrors` ({fieldId: message}) show
 * under their field until the person changes that answer. `files` (ui/photo.js) lets photo and
 * document fields take files; without it they stay disabled. `notes` ({fieldId: text}) are an
 * operator's requests for changes, shown beside their field until the person sends again.
 */
export function buildForm(content, values, { onChange = () => {}, onCheck = null, serverErrors = {}, files = null, notes = {}, places = null,
  identity = null, lockIdentity = false } = {}) {
  const touched = new Set();
  // the signed-in person's own NIK, name and phone fill empty fields; NIK and name are theirs to keep
  const prefilled = {};
  for (const field of content.form_fields) {
    const value = identityValue(field, identity);
    if (value !== undefined && (values[field.id] === undefined || values[field.id] === '')) {
      values[field.id] = value;
      prefilled[field.id] = value;
    }
  }
  const lockedIds = new Set(lockIdentity && identity?.nik ? content.form_fields.filter(isIdentityField).map((f) => f.id) : []);
  for (const id of lockedIds) {
    const value = identityValue(content.form_fields.find((f) => f.id === id), identity);
    if (value !== undefined && values[id] !== value) { values[id] = value; prefilled[id] = value; }
  }
  const fromServer = new Map(Object.entries(serverErrors).map(([id, v]) => [id, serverMessages(v)]));
  const rows = new Map();
  const requirementItems = new Map();

  const refresh = () => {
    const ctx = context(values);
    const errors = validateValues(content.form_fields, values, today());
    for (const field of content.form_fields) {
      const row = rows.get(field.id);
      row.hidden = field.when ? !evaluateLenient(field.when, ctx) : false;
      const msg = row.querySelector('.msg');
      let problems = touched.has(field.id) && !row.hidden ? (errors[field.id] || []).map((p) => p.message) : [];
      if (!problems.length && fromServer.has(field.id) && !row.hidden) problems = fromServer.get(field.id);
      msg.textContent = problems.join(' ');
      row.classList.toggle('invalid', problems.length > 0);
      const control = row.querySelector(`#f-${field.id}`);
      if (control) { if (problems.length) control.setAttribute('aria-invalid', 'true'); else control.removeAttribute('aria-invalid'); }
    }
    for (const req of content.requirements || []) {
      requirementItems.get(req.id).hidden = req.when ? !evaluateLenient(req.when, ctx) : false;
    }
    onCheck?.(errors);
    return errors;
  };
  const changed = (id) => {
    touched.add(id);
    fromServer.delete(id);
    refresh();
    onChange(id, values[id]);
  };

  const fields = content.form_fields.map((field) => {
    const locked = lockedIds.has(field.id);
    const help = (currentLang() === 'en' && field.help_en) ? field.help_en : (field.help_id ? indonesian(field.help_id) : null);
    const row = h('div', { class: 'field', 'data-field': field.id },
      h('label', { for: `f-${field.id}`, id: `f-${field.id}-label` }, localized(field), field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      fieldControl(field, values, changed, files, places, locked),
      locked ? h('p', { class: 'lock', id: `f-${field.id}-lock` }, t('form.locked_identity')) : null,
      help && !locked ? h('small', { class: 'muted' }, help) : null,
      notes[field.id] ? h('p', { class: 'revision-note', 'data-note': field.id, id: `f-${field.id}-note` }, t('form.revision_note', { text: notes[field.id] })) : null,
      h('p', { class: 'msg', id: `f-${field.id}-msg`, 'aria-live': 'polite' }));
    if (notes[field.id]) row.classList.add('noted');
    rows.set(field.id, row);
    return row;
  });

  const requirements = (content.requirements || []).map((req) => {
    const item = requirementItem(req);
    requirementItems.set(req.id, item);
    return item;
  });

  return {
    fields,
    // what to prepare comes before the questions, not below "Kirim"
    requirements: (content.requirements || []).length
      ? h('details', { class: 'card', id: 'requirements-box' },
        h('summary', {}, h('strong', {}, t('form.requirements', { n: requirements.length }))),
        h('ul', { class: 'plain', id: 'requirements' }, requirements))
      : null,
    prefilled,
    refresh,
    touchAll() { content.form_fields.forEach((f) => touched.add(f.id)); return refresh(); },
  };
}

export function summaryLine(doc) {
  const c = doc.content;
  return `${t('service.sla', { n: c.sla_days })} · ${feeLabel(c.fee_idr)}`;
}

export function notFound(app, region) {
  app.replaceChildren(h('h1', {}, t('form.not_found_title')), h('p', { class: 'card' }, t('form.not_found')),
    h('p', {}, h('a', { href: `#/layanan/${region}` }, t('service.back'))));
}

/** "Masih ada n isian…" that follows the answers once shown, and goes away when all is well. */
export function checkLine(check) {
  let shown = false;
  return {
    show(errors) { shown = true; this.update(errors); },
    update(errors) {
      if (!shown) return;
      const n = Object.keys(errors).length;
      check.textContent = n ? t('form.has_errors', { n }) : t('form.now_complete');
      check.classList.toggle('ok', n === 0);
    },
  };
}

/**
 * `#/ajukan/<region>/<service>[/<version>]`. With an account on the device this is a new draft
 * pinned to the version shown (created at the first answer, then addressed as `#/draf/<uuid>`);
 * without one, the form checks answers and asks the person to sign in first.
 */
export async function renderForm(app, region, serviceId, version = null) {
  const doc = await serviceVersion(region, serviceId, version);
  if (!doc) { notFound(app, region); return; }
  if (lastAccountId()) {
    await (await import('./drafts.js')).renderNewDraft(app, region, doc);
    return;
  }
  const c = doc.content;
  const values = {};
  const check = h('p', { class: 'msg', id: 'form-check', role: 'status' });
  const line = checkLine(check);
  const { regionInfo } = await import('../data/catalog.js');
  const places = placesFor(await regionInfo(region), c);
  const form = buildForm(c, values, { onCheck: (errors) => line.update(errors), places });
  app.replaceChildren(
    backTo(`#/layanan/${region}/${doc.service_id}`, t('service.back_detail')),
    h('h1', {}, localized({ label_id: c.name_id, label_en: c.name_en })),
    h('p', { class: 'muted' }, summaryLine(doc)),
    h('p', { class: 'card', id: 'sign-in-first' }, t('draft.sign_in_to_apply'), ' ',
      h('a', { href: '#/masuk' }, t('signin.title')), ' · ', h('a', { href: '#/daftar' }, t('enroll.title'))),
    form.requirements,
    h('form', { class: 'card', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      line.show(form.touchAll());
      focusFirstProblem(app);
    } }, form.fields, h('button', { type: 'submit' }, t('form.check')), check),
  );
  form.refresh();
}
