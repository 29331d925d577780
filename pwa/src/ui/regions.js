// Choosing the person's kabupaten/kota. The list comes from the server when online and is kept
// on the device, so the choice can be changed offline too.
import { t } from '../i18n.js';
import { h } from './dom.js';
import { api } from '../data/api.js';

const CACHE_KEY = 'regions';

export function chosenRegion() {
  return localStorage.getItem('region');
}

export function chooseRegion(code) {
  localStorage.setItem('region', code);
}

async function loadRegions() {
  try {
    const regions = await api('/api/regions');
    localStorage.setItem(CACHE_KEY, JSON.stringify(regions));
    return regions;
  } catch (err) {
    const cached = localStorage.getItem(CACHE_KEY);
    return cached ? JSON.parse(cached) : null;
  }
}

export async function renderRegionPicker(app, navigate) {
  app.replaceChildren(h('h1', {}, t('region.choose')), h('p', { class: 'muted' }, t('common.loading')));
  const regions = await loadRegions();
  if (!regions) {
    app.replaceChildren(h('h1', {}, t('region.choose')), h('p', { class: 'card' }, t('region.offline_no_list')));
    return;
  }
  const byProvince = new Map();
  for (const region of regions) {
    if (!byProvince.has(region.province_name)) byProvince.set(region.province_name, []);
    byProvince.get(region.province_name).push(region);
  }
  app.replaceChildren(
    h('h1', {}, t('region.choose')),
    h('p', { class: 'muted' }, t('region.why')),
    ...[...byProvince].map(([province, list]) => h('section', { class: 'card' },
      h('h2', {}, province),
      h('ul', { class: 'plain' }, list.map((region) => h('li', {},
        h('button', {
          type: 'button', class: 'link', 'data-region': region.code,
          onclick: () => { chooseRegion(region.code); navigate(`#/layanan/${region.code}`); },
        }, region.name)))))),
  );
}
