// A region's services, read from the catalog on the device; refreshed from the server when online.
import { t } from '../i18n.js';
import { currentServices, lastPulled, pullCatalog, regionInfo } from '../data/catalog.js';
import { h } from './dom.js';

export function feeLabel(fee) {
  return fee === 0 ? t('service.free') : `Rp ${fee.toLocaleString('id-ID')}`;
}

function formatTime(iso) {
  return new Date(iso).toLocaleString('id-ID', { dateStyle: 'medium', timeStyle: 'short' });
}

async function renderList(app, region, status) {
  const [info, services] = await Promise.all([regionInfo(region), currentServices(region)]);
  if (!services.length) {
    app.replaceChildren(h('h1', {}, t('service.title')), status, h('p', { class: 'card' }, t('catalog.empty')));
    return;
  }
  const agencies = new Map((info?.agencies || []).map((a) => [a.kind, a.short_name]));
  const groups = new Map();
  for (const doc of services.sort((a, b) => a.content.name_id.localeCompare(b.content.name_id, 'id'))) {
    const agency = agencies.get(doc.content.owner_agency) || doc.content.owner_agency;
    if (!groups.has(agency)) groups.set(agency, []);
    groups.get(agency).push(doc);
  }
  app.replaceChildren(
    h('h1', {}, info ? info.name : region),
    status,
    h('p', { class: 'muted', id: 'service-count' }, t('service.count', { n: services.length })),
    ...[...groups].map(([agency, docs]) => h('section', { class: 'card' },
      h('h2', {}, agency),
      h('ul', { class: 'plain' }, docs.map((doc) => h('li', {},
        h('a', { href: `#/ajukan/${region}/${doc.service_id}`, 'data-service': doc.service_id }, doc.content.name_id),
        h('br'),
        h('small', { class: 'muted' }, `${t('service.sla', { n: doc.content.sla_days })} · ${feeLabel(doc.content.fee_idr)}`)))))),
    h('p', {}, h('a', { href: '#/wilayah' }, t('region.change'))),
  );
}

export async function renderServices(app, region) {
  const status = h('p', { class: 'muted', id: 'catalog-status', role: 'status' });
  const pulled = lastPulled(region);
  status.textContent = pulled ? t('catalog.updated', { time: formatTime(pulled) }) : t('catalog.downloading');
  if (pulled) await renderList(app, region, status);
  else app.replaceChildren(h('h1', {}, t('service.title')), status);
  if (!navigator.onLine) {
    if (!pulled) status.textContent = t('catalog.offline_never');
    return;
  }
  try {
    await pullCatalog(region);
    status.textContent = t('catalog.updated', { time: formatTime(lastPulled(region)) });
    await renderList(app, region, status);
  } catch (err) {
    status.textContent = pulled ? t('catalog.refresh_failed') : t('catalog.offline_never');
  }
}
