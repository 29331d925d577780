// A region's services, read from the catalog on the device; refreshed from the server when online.
// A first visit shows what is being downloaded and how much is left, over the list's skeleton.
import { t } from '../i18n.js';
import { currentServices, lastPulled, pullCatalog, regionInfo } from '../data/catalog.js';
import { watchPouchLoad } from '../data/db.js';
import { reportFailure } from '../data/connection.js';
import { h } from './dom.js';
import { backHome } from './nav.js';
import { localized } from './text.js';

export function feeLabel(fee) {
  return fee === 0 ? t('service.free') : `Rp ${fee.toLocaleString('id-ID')}`;
}

function formatTime(iso) {
  return new Date(iso).toLocaleString('id-ID', { dateStyle: 'medium', timeStyle: 'short' });
}

export function skeleton(rows = 6) {
  return h('ul', { class: 'skeleton', 'aria-hidden': 'true', id: 'catalog-skeleton' }, Array.from({ length: rows }, () => h('li')));
}

async function renderList(app, region, status) {
  const [info, services] = await Promise.all([regionInfo(region), currentServices(region)]);
  if (!services.length) {
    app.replaceChildren(backHome(), h('h1', {}, t('service.title')), status, h('p', { class: 'card' }, t('catalog.empty')));
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
    backHome(),
    h('h1', {}, info ? info.name : region),
    status,
    h('p', { class: 'muted', id: 'service-count' }, t('service.count', { n: services.length })),
    ...[...groups].map(([agency, docs]) => h('section', { class: 'card' },
      h('h2', {}, agency),
      h('ul', { class: 'plain' }, docs.map((doc) => h('li', {},
        h('a', { href: `#/layanan/${region}/${doc.service_id}`, 'data-service': doc.service_id },
          localized({ label_id: doc.content.name_id, label_en: doc.content.name_en })),
        h('br'),
        h('small', { class: 'muted' }, `${t('service.sla', { n: doc.content.sla_days })} · ${feeLabel(doc.content.fee_idr)}`)))))),
    h('p', {}, h('a', { href: '#/wilayah' }, t('region.change'))),
  );
}

// The first download: step 1 the storage engine (bytes), step 2 the services (documents).
function firstDownload(app, status) {
  const bar = h('progress', { max: 100, value: 0, 'aria-labelledby': 'catalog-progress-text' });
  const text = h('p', { id: 'catalog-progress-text' }, t('catalog.step_engine', { kb: 0 }));
  const box = h('div', { class: 'progress card', id: 'catalog-progress', role: 'status', 'aria-live': 'polite' }, text, bar);
  app.replaceChildren(backHome(), h('h1', {}, t('service.title')), status, box, skeleton());
  const kb = (bytes) => Math.max(1, Math.round(bytes / 1024));
  const stop = watchPouchLoad(({ loaded, total }) => {
    const known = total && loaded <= total;
    text.textContent = known ? t('catalog.step_engine_of', { kb: kb(loaded), total: kb(total) }) : t('catalog.step_engine', { kb: kb(loaded) });
    bar.value = known ? Math.round((loaded / total) * 50) : Math.min(45, bar.value + 1);
  });
  return {
    services({ done, total }) {
      stop();
      text.textContent = total ? t('catalog.step_services_of', { done: Math.min(done, total), total }) : t('catalog.step_services', { done });
      bar.value = total ? 50 + Math.round((Math.min(done, total) / total) * 50) : Math.max(bar.value, 50);
    },
    stop,
  };
}

export async function renderServices(app, region) {
  const hash = location.hash;
  const status = h('p', { class: 'muted', id: 'catalog-status', role: 'status' });
  const pulled = lastPulled(region);
  status.textContent = pulled ? t('catalog.updated', { time: formatTime(pulled) }) : t('catalog.downloading');
  let progress = null;
  if (pulled) await renderList(app, region, status);
  else progress = firstDownload(app, status);
  if (!navigator.onLine) {
    if (!pulled) { progress.stop(); app.replaceChildren(backHome(), h('h1', {}, t('service.title')), status); status.textContent = t('catalog.offline_never'); }
    return;
  }
  try {
    const result = await pullCatalog(region, progress ? (p) => progress.services(p) : null);
    if (location.hash !== hash) return; // the person went on meanwhile: never draw over their screen
    status.textContent = t('catalog.updated', { time: formatTime(lastPulled(region)) });
    // redraw only when the catalog changed, so a tap never lands on a replaced link
    if (!pulled || result?.docs_written) await renderList(app, region, status);
  } catch (err) {
    progress?.stop();
    if (!err?.status) reportFailure(); // the line is there, the server did not answer
    status.textContent = pulled ? t('catalog.refresh_failed') : t('catalog.offline_never');
    if (!pulled) app.querySelector('#catalog-progress')?.remove();
  }
}
