// An application form rendered from the service version's field spec, on the device, offline.
// Fields and requirements with a `when` condition appear and disappear as the person answers.
import { t, currentLang } from '../i18n.js';
import { serviceVersion } from '../data/catalog.js';
import { evaluateLenient } from '../forms/conditions.js';
import { validateValues } from '../forms/validate.js';
import { feeLabel } from './services.js';
import { h } from './dom.js';

const INPUT_TYPES = { text: 'text', number: 'number', date: 'date', nik: 'text', kk: 'text', phone: 'tel', email: 'email' };

function today() {
  return new Date().toISOString().slice(0, 10);
}

function label(item) {
  return (currentLang() === 'en' && item.label_en) || item.label_id;
}

function context(values) {
  return { ...values, _today: today() };
}

function fieldControl(field, values, onChange) {
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
      return h('input', { ...common, type: 'file', accept: field.type === 'photo' ? 'image/*' : 'image/*,application/pdf',
        capture: field.type === 'photo' ? 'environment' : null, disabled: true });
    default:
      return h('input', {
        ...common, type: INPUT_TYPES[field.type] || 'text', value: values[field.id] ?? '',
        inputmode: ['nik', 'kk', 'phone'].includes(field.type) ? 'numeric' : null,
        maxlength: ['nik', 'kk'].includes(field.type) ? 16 : null,
        oninput: (e) => set(field.type === 'number' && e.target.value !== '' ? Number(e.target.value) : e.target.value),
      });
  }
}

export async function renderForm(app, region, serviceId, version = null) {
  const doc = await serviceVersion(region, serviceId, version);
  if (!doc) {
    app.replaceChildren(h('h1', {}, t('form.not_found_title')), h('p', { class: 'card' }, t('form.not_found')),
      h('p', {}, h('a', { href: `#/layanan/${region}` }, t('service.back'))));
    return;
  }
  const c = doc.content;
  const values = {};
  const touched = new Set();
  const rows = new Map();
  const requirementItems = new Map();

  const refresh = () => {
    const ctx = context(values);
    const errors = validateValues(c.form_fields, values, today());
    for (const field of c.form_fields) {
      const row = rows.get(field.id);
      row.hidden = field.when ? !evaluateLenient(field.when, ctx) : false;
      const msg = row.querySelector('.msg');
      const problems = touched.has(field.id) && !row.hidden ? (errors[field.id] || []) : [];
      msg.textContent = problems.map((p) => p.message).join(' ');
      row.classList.toggle('invalid', problems.length > 0);
    }
    for (const req of c.requirements || []) {
      requirementItems.get(req.id).hidden = req.when ? !evaluateLenient(req.when, ctx) : false;
    }
    return errors;
  };
  const onChange = (id) => { touched.add(id); refresh(); };

  const fields = c.form_fields.map((field) => {
    const row = h('div', { class: 'field', 'data-field': field.id },
      h('label', { for: `f-${field.id}` }, label(field), field.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null),
      fieldControl(field, values, onChange),
      field.help_id ? h('small', { class: 'muted' }, field.help_id) : null,
      h('p', { class: 'msg', id: `f-${field.id}-msg`, 'aria-live': 'polite' }));
    rows.set(field.id, row);
    return row;
  });

  const requirements = (c.requirements || []).map((req) => {
    const item = h('li', { 'data-requirement': req.id }, req.label_id, ' ',
      h('span', { class: 'badge' }, req.required ? t('form.required') : t('form.if_applicable')));
    requirementItems.set(req.id, item);
    return item;
  });

  const summary = h('p', { class: 'muted' }, `${t('service.sla', { n: c.sla_days })} · ${feeLabel(c.fee_idr)} · ${t('form.version', { n: doc.version })}`);
  const check = h('p', { class: 'msg', id: 'form-check', role: 'status' });
  app.replaceChildren(
    h('nav', { class: 'crumbs' }, h('a', { href: `#/layanan/${region}` }, t('service.back'))),
    h('h1', {}, label({ label_id: c.name_id, label_en: c.name_en })),
    summary,
    h('form', { class: 'card', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      c.form_fields.forEach((f) => touched.add(f.id));
      const errors = refresh();
      const count = Object.keys(errors).length;
      check.textContent = count ? t('form.has_errors', { n: count }) : t('form.complete');
    } }, fields, h('button', { type: 'submit' }, t('form.check')), check),
    h('section', { class: 'card' }, h('h2', {}, t('form.requirements')), h('ul', { class: 'plain', id: 'requirements' }, requirements)),
  );
  refresh();
}
