// One service before its form (`#/layanan/<region>/<service>`): what it gives, how long it takes,
// what it costs, what to prepare (and how each requirement is supplied), where to go and when.
// Read from the catalog on the device, so it opens offline too.
import { t } from '../i18n.js';
import { regionInfo, serviceVersion } from '../data/catalog.js';
import { h } from './dom.js';
import { backTo } from './nav.js';
import { feeLabel } from './services.js';
import { indonesian, localized } from './text.js';

/** How a requirement is supplied, in words a person acts on. */
export function requirementHow(req) {
  return t(`requirement.source.${req.source || 'upload'}`);
}

/** One requirement as a list item: name, wajib/bila berlaku, how it is supplied, bring the original. */
export function requirementItem(req) {
  return h('li', { 'data-requirement': req.id },
    h('strong', {}, localized(req)), ' ',
    h('span', { class: 'badge' }, req.required && !req.when ? t('form.required') : t('form.if_applicable')), h('br'),
    h('small', { class: 'muted' }, requirementHow(req)),
    req.bring_original ? [h('br'), h('small', { class: 'bring', 'data-bring': req.id }, t('requirement.bring_original'))] : null);
}

/** The service points of the agency that owns the service: place, counters, opening hours. */
export function placesOf(info, agencyKind) {
  const agency = (info?.agencies || []).find((a) => a.kind === agencyKind);
  return { agency, locations: agency?.locations || [] };
}

export function placeItems(locations) {
  return locations.map((loc) => h('li', {},
    h('strong', {}, loc.name), loc.address ? [h('br'), loc.address] : null,
    loc.counters?.length ? [h('br'), t('place.counters', { list: loc.counters.join(', ') })] : null,
    loc.hours ? [h('br'), t('place.hours', { hours: loc.hours })] : null));
}

export async function renderService(app, region, serviceId) {
  const [doc, info] = await Promise.all([serviceVersion(region, serviceId), regionInfo(region)]);
  const back = backTo(`#/layanan/${region}`, t('service.back'));
  if (!doc) {
    app.replaceChildren(back, h('h1', {}, t('form.not_found_title')), h('p', { class: 'card' }, t('form.not_found')));
    return;
  }
  const c = doc.content;
  const { agency, locations } = placesOf(info, c.owner_agency);
  const apply = h('p', {}, h('a', { class: 'button', id: 'apply', href: `#/ajukan/${region}/${serviceId}` }, t('service.apply')));
  app.replaceChildren(
    back,
    h('h1', {}, localized({ label_id: c.name_id, label_en: c.name_en })),
    agency ? h('p', { class: 'muted' }, agency.name) : null,
    h('section', { class: 'card', 'aria-labelledby': 'facts-title' },
      h('h2', { id: 'facts-title' }, t('service.facts')),
      h('dl', { class: 'facts', id: 'service-facts' },
        h('dt', {}, t('service.time')), h('dd', {}, t('service.time_text', { n: c.sla_days })),
        h('dt', {}, t('service.fee')), h('dd', {}, feeLabel(c.fee_idr)),
        c.output?.label_id ? [h('dt', {}, t('service.output')), h('dd', {}, indonesian(c.output.label_id))] : null,
        h('dt', {}, t('service.identity')), h('dd', {}, t(`service.assurance.${c.assurance}`)))),
    apply,
    h('section', { class: 'card', 'aria-labelledby': 'prepare-title' },
      h('h2', { id: 'prepare-title' }, t('service.prepare')),
      (c.requirements || []).length
        ? h('ul', { class: 'plain', id: 'service-requirements' }, c.requirements.map(requirementItem))
        : h('p', {}, t('service.nothing_to_prepare'))),
    h('section', { class: 'card', 'aria-labelledby': 'where-title' },
      h('h2', { id: 'where-title' }, t('service.where')),
      h('p', {}, t('service.where_explain')),
      locations.length ? h('ul', { class: 'plain', id: 'service-places' }, placeItems(locations)) : h('p', { class: 'muted' }, t('service.where_unknown'))),
    (c.steps || []).length ? h('section', { class: 'card', 'aria-labelledby': 'steps-title' },
      h('h2', { id: 'steps-title' }, t('service.steps')),
      h('ol', { class: 'steps-list' }, h('li', {}, t('service.step_apply')),
        c.steps.map((s) => h('li', {}, indonesian(s.name_id))), h('li', {}, t('service.step_result')))) : null,
    h('p', {}, h('a', { class: 'button', href: `#/ajukan/${region}/${serviceId}` }, t('service.apply'))),
  );
}
