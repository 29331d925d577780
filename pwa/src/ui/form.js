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

const INPUT_TYPES = { text: 'text', number: 'number', date: 'date', nik: 'text', kk: 'text', phone: 'tel', email: 'email' };

export function today() {
  return new Date().toISOString().slice(0, 10);
}

export function label(item) {
  return (currentLang() === 'en' && item.label_en) || item.label_id;
}

function context(values) {
  return { ...values, _today: today() };
}

function fieldControl(field, values, onChange, files) {
  const id = `f-${field.id}`;
  const common = { id, name: field.id, 'aria-describedby': `${id}-msg`, required: field.required || null };
  const set = (value) => { if (value === '' || value == null) delete values[field.id]; else values[field.id] = value; onChange(field.id); };
  switch (field.type) {
    case 'select':
      return h('select', { ...common, onchange: (e) => set(e.target.value) },
        h('option', { value: '' }, t('form.choose')),
        (field.options || []).map((o) => h('option', { value: o.value, selected: values[field.id] === o.value }, label(o))));
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
export function buildForm(content, values, { onChange = () => {}, serverErrors = {}, files = null, notes = {} } = {}) {
  const touched = new Set();
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
    }
    for (const req of content.requirements || []) {
      requirementItems.get(req.id).hidden = req.when ? !evaluateLenient(req.when, ctx) : false;
    }
    return errors;
  };
  const changed = (id) => {
    touched.add(id);
    fromServer.delete(id);
    refresh();
    onChange(id, values[id]);
  };

  const fields = content.form_fields.map((field) => {
    const row = h('div', { class: 'field', 'data-field': field.id },
      h('label', { for: `f-${field.id}` }, label(field), field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      fieldControl(field, values, changed, files),
      field.help_id ? h('small', { class: 'muted' }, field.help_id) : null,
      notes[field.id] ? h('p', { class: 'revision-note', 'data-note': field.id, id: `f-${field.id}-note` }, t('form.revision_note', { text: notes[field.id] })) : null,
      h('p', { class: 'msg', id: `f-${field.id}-msg`, 'aria-live': 'polite' }));
    if (notes[field.id]) row.classList.add('noted');
    rows.set(field.id, row);
    return row;
  });

  const requirements = (content.requirements || []).map((req) => {
    const item = h('li', { 'data-requirement': req.id }, req.label_id, ' ',
      h('span', { class: 'badge' }, req.required ? t('form.required') : t('form.if_applicable')));
    requirementItems.set(req.id, item);
    return item;
  });

  return {
    fields,
    requirements: h('section', { class: 'card' }, h('h2', {}, t('form.requirements')), h('ul', { class: 'plain', id: 'requirements' }, requirements)),
    refresh,
    touchAll() { content.form_fields.forEach((f) => touched.add(f.id)); return refresh(); },
  };
}

export function summaryLine(doc) {
  const c = doc.content;
  return `${t('service.sla', { n: c.sla_days })} · ${feeLabel(c.fee_idr)} · ${t('form.version', { n: doc.version })}`;
}

export function notFound(app, region) {
  app.replaceChildren(h('h1', {}, t('form.not_found_title')), h('p', { class: 'card' }, t('form.not_found')),
    h('p', {}, h('a', { href: `#/layanan/${region}` }, t('service.back'))));
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
  const form = buildForm(c, values);
  const check = h('p', { class: 'msg', id: 'form-check', role: 'status' });
  app.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: `#/layanan/${region}` }, t('service.back'))),
    h('h1', {}, label({ label_id: c.name_id, label_en: c.name_en })),
    h('p', { class: 'muted' }, summaryLine(doc)),
    h('p', { class: 'card', id: 'sign-in-first' }, t('draft.sign_in_to_apply'), ' ',
      h('a', { href: '#/masuk' }, t('signin.title')), ' · ', h('a', { href: '#/daftar' }, t('enroll.title'))),
    h('form', { class: 'card', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      const count = Object.keys(form.touchAll()).length;
      check.textContent = count ? t('form.has_errors', { n: count }) : t('form.complete');
    } }, form.fields, h('button', { type: 'submit' }, t('form.check')), check),
    form.requirements,
  );
  form.refresh();
}
