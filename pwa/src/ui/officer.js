// Field-officer mode, loaded only for accounts with the field_officer role: the day's assisted
// applications (`#/petugas`), a new one for a citizen (service, then the person, the KTP check and
// the consent at `#/petugas/warga/...`, then the service form at `#/draf/<uuid>`), and the receipt
// with the tracking number and check code for the paper slip (`#/petugas/tanda-terima/<uuid>`).
// Everything is written to the officer's own PouchDB at each change, offline as online.
import { t } from '../i18n.js';
import { currentServices, pullCatalog, serviceVersion } from '../data/catalog.js';
import { createDraft, listDrafts, loadDraft, newDraftId, onLocalChange, saveApplicant } from '../data/drafts.js';
import { DRAFT_PREFIX, draftUuid } from '../data/draftstate.js';
import {
  CONSENT_TEXT, CONSENT_VERSION, applicantSteps, emptyApplicant, isAssisted, officerDay, personProblems, receipt, withApplicant,
} from '../data/assisted.js';
import { todayWit } from '../forms/nik.js';
import { startSync, subscribe } from '../data/sync.js';
import { blobRecords, fileBytes, forgetRef, storeFile } from '../data/blobs.js';
import { chosenRegion } from './regions.js';
import { fileControl } from './photo.js';
import { label } from './form.js';
import { syncCard } from './syncbar.js';
import { h } from './dom.js';
import { clockTime, formatTime } from './time.js';

function localToday() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function masked(nik) {
  return nik && nik.length > 4 ? `${'•'.repeat(nik.length - 4)}${nik.slice(-4)}` : (nik || '');
}

function serviceName(doc, fallback) {
  return doc ? label({ label_id: doc.content.name_id, label_en: doc.content.name_en }) : fallback;
}

function stateBadge(view) {
  return h('span', { class: `state state-${view.key}`, 'data-state': view.key }, t(view.label, view.params));
}

// Redraw `fn` on local writes, pulled docs and sync changes, until `root` leaves the page.
function follow(root, fn) {
  let timer = null;
  let first = true;
  let offChange = null;
  let offSync = null;
  const stop = () => { clearTimeout(timer); offChange?.(); offSync?.(); };
  const poke = () => {
    if (!root.isConnected) { stop(); return; }
    clearTimeout(timer);
    timer = setTimeout(() => (root.isConnected ? fn() : stop()), 150);
  };
  offChange = onLocalChange(poke);
  offSync = subscribe(() => { if (first) { first = false; return; } poke(); });
}

// ---- the officer's day ----

function entryLink(e) {
  const uuid = draftUuid(e.draft._id);
  if (receipt(e.status)) return `#/petugas/tanda-terima/${uuid}`;
  if (!applicantSteps(e.draft.applicant, todayWit()).complete && e.view.editable) return `#/petugas/warga/${uuid}`;
  return `#/draf/${uuid}`;
}

async function entryRow(e) {
  const doc = await serviceVersion(e.draft.region_code, e.draft.service_id, e.draft.service_version).catch(() => null);
  return h('li', { 'data-draft': draftUuid(e.draft._id) },
    h('a', { href: entryLink(e) }, h('strong', { class: 'applicant-name' }, e.draft.applicant.name || t('assisted.no_name'))),
    h('br'),
    h('span', { class: 'service-name' }, serviceName(doc, e.draft.service_id)),
    h('br'),
    stateBadge(e.view),
    e.view.tracking_number && e.view.key !== 'received' ? h('small', { class: 'muted' }, ` · ${e.view.tracking_number}`) : null,
    h('br'),
    h('small', { class: 'muted' }, t('assisted.started', { time: formatTime(e.draft.created_at) })));
}

export async function renderOfficerHome(app) {
  const waiting = h('p', { id: 'officer-waiting', role: 'status' });
  const todayList = h('ul', { class: 'plain', id: 'assisted-today' });
  const olderList = h('ul', { class: 'plain', id: 'assisted-older' });
  const olderCard = h('section', { class: 'card', 'aria-labelledby': 'older-title', hidden: true },
    h('h2', { id: 'older-title' }, t('assisted.older')), olderList);
  const root = h('div', { id: 'officer-home' },
    h('h1', {}, t('assisted.home_title')),
    h('p', {}, h('a', { class: 'button', href: '#/petugas/baru', id: 'new-assisted' }, t('assisted.new'))),
    waiting,
    h('section', { class: 'card', 'aria-labelledby': 'today-title' }, h('h2', { id: 'today-title' }, t('assisted.today')), todayList),
    olderCard,
    syncCard(),
    h('p', {}, h('a', { href: '#/permohonan' }, t('home.my_applications')), ' · ', h('a', { href: '#/perangkat' }, t('home.my_devices'))));
  let shown = null;
  const fill = async () => {
    const day = officerDay(await listDrafts(), localToday());
    const signature = JSON.stringify([day.waiting, ...[...day.today, ...day.older].map((e) => [e.draft._id, e.draft.updated_at,
      e.view.key, e.view.tracking_number, e.draft.applicant.name])]);
    if (signature === shown) return;
    shown = signature;
    waiting.textContent = t('assisted.waiting', { n: day.waiting });
    todayList.replaceChildren(...(day.today.length ? await Promise.all(day.today.map(entryRow)) : [h('li', { class: 'muted' }, t('assisted.none_today'))]));
    olderList.replaceChildren(...await Promise.all(day.older.map(entryRow)));
    olderCard.hidden = day.older.length === 0;
  };
  app.replaceChildren(root);
  await fill();
  follow(root, fill);
}

// ---- a new application: which service ----

async function renderChooseService(app) {
  const region = chosenRegion();
  const back = h('nav', { class: 'crumbs' }, h('a', { href: '#/petugas' }, t('assisted.back')));
  if (!region) {
    app.replaceChildren(back, h('h1', {}, t('assisted.new')), h('p', { class: 'card' }, t('assisted.choose_region'), ' ',
      h('a', { href: '#/wilayah' }, t('region.choose'))));
    return;
  }
  let services = await currentServices(region);
  if (!services.length && navigator.onLine) {
    try { await pullCatalog(region); services = await currentServices(region); } catch { /* shown as empty */ }
  }
  app.replaceChildren(back, h('h1', {}, t('assisted.new')),
    h('p', { class: 'muted' }, t('assisted.choose_service')),
    services.length
      ? h('ul', { class: 'plain card', id: 'assisted-services' }, services
        .sort((a, b) => a.content.name_id.localeCompare(b.content.name_id, 'id'))
        .map((doc) => h('li', {}, h('a', { href: `#/petugas/warga/baru/${region}/${doc.service_id}`, 'data-service': doc.service_id },
          serviceName(doc, doc.service_id)))))
      : h('p', { class: 'card' }, t('catalog.offline_never')));
}

// ---- the person, the KTP check, the consent ----

function problemText(p) {
  return p.message || t(p.code);
}

function applicantPage(app, { id, region, serviceDoc, applicant, isNew }) {
  let current = applicant;
  let created = !isNew;
  let chain = Promise.resolve();
  const saved = h('p', { class: 'muted', id: 'saved', role: 'status' });
  const next = h('a', { class: 'button', id: 'to-form', href: `#/draf/${draftUuid(id)}` }, t('assisted.to_form'));
  const touched = new Set();
  const msgs = {};

  const refresh = () => {
    const today = todayWit();
    const { errors, warnings } = personProblems(current, today);
    for (const key of ['nik', 'name', 'birth_date']) {
      const list = touched.has(key) ? [...(errors[key] || []), ...(warnings[key] || [])] : [];
      msgs[key].textContent = list.map(problemText).join(' ');
    }
    const steps = applicantSteps(current, today);
    next.hidden = !steps.complete;
    stepsNote.textContent = steps.complete ? '' : t('assisted.steps_left');
  };

  const save = (patch) => {
    const at = new Date().toISOString();
    current = withApplicant(current, patch, at);
    refresh();
    chain = chain.then(async () => {
      if (!created) {
        await createDraft(region, serviceDoc.service_id, serviceDoc.version, { id, applicant: current });
        created = true;
        history.replaceState(null, '', `#/petugas/warga/${draftUuid(id)}`);
        startSync();
      } else {
        await saveApplicant(id, patch);
      }
      saved.textContent = t('draft.saved', { time: clockTime(new Date().toISOString()) });
    }).catch((err) => { console.error(err); saved.textContent = t('draft.save_failed'); });
  };

  const text = (key, labelText, attrs) => {
    msgs[key] = h('p', { class: 'msg', id: `a-${key}-msg`, 'aria-live': 'polite' });
    return h('div', { class: 'field' },
      h('label', { for: `a-${key}` }, labelText),
      h('input', { id: `a-${key}`, name: key, required: true, 'aria-describedby': `a-${key}-msg`, value: current[key] || '', ...attrs,
        oninput: (e) => save({ [key]: e.target.value }), onblur: () => { touched.add(key); refresh(); } }),
      msgs[key]);
  };

  // the optional KTP and consent photos: the same control, compression and local store as a
  // form's photo field; the draft keeps {sha256, size, mime, field} with field "_ktp"/"_consent"
  const files = {
    store: (blob, field, mime, filename) => storeFile(blob, { draftId: id, field, mime, filename }),
    forget: (value, field) => forgetRef(value.sha256, { draftId: id, field }),
    record: async (value) => (await blobRecords([value.sha256]))[value.sha256] || null,
    bytes: (value) => fileBytes(value.sha256),
  };
  const photo = (field, patchKey, value, labelText) => {
    const values = { [field]: value || null };
    const inputId = `a-${field.slice(1)}-photo`;
    const set = (next) => { values[field] = next; save({ [patchKey]: next }); };
    return h('div', { class: 'field' }, h('label', { for: inputId, id: `${inputId}-label` }, labelText),
      fileControl({ id: field, type: 'photo' }, values, set, { id: inputId, name: field }, files, labelText));
  };

  const stepsNote = h('p', { class: 'muted', id: 'steps-left' });
  const check = current.identity_check || {};
  const consent = current.consent || {};
  app.replaceChildren(h('div', { 'data-draft': draftUuid(id) },
    h('nav', { class: 'crumbs' }, h('a', { href: '#/petugas' }, t('assisted.back'))),
    h('h1', {}, t('assisted.applicant_title')),
    h('p', { class: 'muted' }, serviceName(serviceDoc, serviceDoc.service_id)),
    h('section', { class: 'card', 'aria-labelledby': 'step1' },
      h('h2', { id: 'step1' }, t('assisted.step1')),
      text('nik', t('enroll.nik'), { inputmode: 'numeric', maxlength: 19, autocomplete: 'off' }),
      text('name', t('enroll.full_name'), { autocomplete: 'off' }),
      text('birth_date', t('enroll.birth_date'), { type: 'date', onchange: (e) => { touched.add('birth_date'); save({ birth_date: e.target.value }); } })),
    h('section', { class: 'card', 'aria-labelledby': 'step2' },
      h('h2', { id: 'step2' }, t('assisted.step2')),
      h('p', {}, t('assisted.check_explain')),
      h('label', { class: 'choice' }, h('input', { type: 'checkbox', id: 'a-ktp-seen', required: true, checked: check.ktp_seen === true,
        onchange: (e) => save({ ktp_seen: e.target.checked }) }), ` ${t('assisted.ktp_seen')}`),
      h('div', { class: 'field' }, h('label', { for: 'a-place' }, t('assisted.place')),
        h('input', { id: 'a-place', name: 'place', value: check.place || '', oninput: (e) => save({ place: e.target.value }) })),
      photo('_ktp', 'ktp_photo', check.photo, t('assisted.ktp_photo'))),
    h('section', { class: 'card', 'aria-labelledby': 'step3' },
      h('h2', { id: 'step3' }, t('assisted.step3')),
      h('p', {}, t('assisted.consent_explain')),
      h('div', { class: 'consent', id: 'consent-text', 'data-version': CONSENT_VERSION }, CONSENT_TEXT.map((p) => h('p', {}, p))),
      h('label', { class: 'choice' }, h('input', { type: 'checkbox', id: 'a-consent', required: true, checked: consent.given === true,
        onchange: (e) => save({ consent: e.target.checked }) }), ` ${t('assisted.consent_given')}`),
      photo('_consent', 'consent_photo', consent.signature, t('assisted.consent_photo')),
      h('p', { class: 'muted' }, t('assisted.consent_version', { v: CONSENT_VERSION }))),
    saved,
    stepsNote,
    h('p', {}, next)));
  refresh();
}

async function renderApplicant(app, args) {
  if (args[0] === 'baru') {
    const [, region, serviceId] = args;
    const serviceDoc = await serviceVersion(region, serviceId);
    if (!serviceDoc) { await renderChooseService(app); return; }
    applicantPage(app, { id: newDraftId(), region, serviceDoc, applicant: emptyApplicant(), isNew: true });
    return;
  }
  const entry = await loadDraft(DRAFT_PREFIX + args[0]);
  if (!entry || !isAssisted(entry.draft)) { await renderOfficerHome(app); return; }
  if (!entry.view.editable) { location.hash = `#/draf/${args[0]}`; return; }
  const serviceDoc = await serviceVersion(entry.draft.region_code, entry.draft.service_id, entry.draft.service_version);
  applicantPage(app, { id: entry.draft._id, region: entry.draft.region_code,
    serviceDoc: serviceDoc || { service_id: entry.draft.service_id, version: entry.draft.service_version },
    applicant: entry.draft.applicant, isNew: false });
}

// ---- the receipt for the paper slip ----

// "Warga dapat melihat status … di <link>": the address is a link, to show the resident how
function lacakLine() {
  const [before, after = ''] = t('assisted.lacak', { url: '\u0000' }).split('\u0000');
  return h('p', {}, before, h('a', { href: '/lacak', id: 'receipt-lacak' }, `${location.origin}/lacak`), after);
}

async function renderReceipt(app, uuid) {
  const id = DRAFT_PREFIX + uuid;
  const body = h('div', {});
  const root = h('div', { id: 'receipt' },
    h('nav', { class: 'crumbs' }, h('a', { href: '#/petugas' }, t('assisted.back'))),
    h('h1', {}, t('assisted.receipt_title')), body, syncCard());
  const fill = async () => {
    const entry = await loadDraft(id);
    if (!entry) { body.replaceChildren(h('p', { class: 'card' }, t('draft.not_found'))); return; }
    const doc = await serviceVersion(entry.draft.region_code, entry.draft.service_id, entry.draft.service_version).catch(() => null);
    const slip = receipt(entry.status);
    body.replaceChildren(
      h('p', {}, h('strong', {}, entry.draft.applicant?.name || ''), h('br'), serviceName(doc, entry.draft.service_id)),
      h('p', { role: 'status' }, stateBadge(entry.view)),
      slip
        ? h('section', { class: 'card slip', 'aria-label': t('assisted.receipt_title') },
          h('p', {}, t('assisted.tracking')), h('p', { class: 'big', id: 'receipt-tracking' }, slip.tracking),
          slip.checkCode ? h('p', {}, t('assisted.check_code')) : null,
          slip.checkCode ? h('p', { class: 'big', id: 'receipt-check-code' }, slip.checkCode) : null,
          lacakLine(),
          h('p', {}, t('assisted.lacak_needs')))
        : h('p', { class: 'card', id: 'receipt-waiting' }, t('assisted.receipt_waiting')),
      entry.view.editable ? h('p', {}, h('a', { href: `#/draf/${uuid}` }, t('assisted.open_form'))) : null);
  };
  app.replaceChildren(root);
  await fill();
  follow(root, fill);
}

// ---- on the draft page (ui/drafts.js), for assisted drafts only ----

/** Who the application is for, with a way back to the three steps while it can change. */
export function applicantCard(entry) {
  const a = entry.draft.applicant;
  const uuid = draftUuid(entry.draft._id);
  const steps = applicantSteps(a, todayWit());
  return h('section', { class: 'card', id: 'applicant', 'aria-labelledby': 'applicant-title' },
    h('h2', { id: 'applicant-title' }, t('assisted.for_citizen')),
    h('p', {}, h('strong', {}, a.name || t('assisted.no_name')), h('br'), `NIK ${masked(a.nik)} · ${a.birth_date || ''}`),
    steps.complete ? null : h('p', { class: 'msg', role: 'alert' }, t('assisted.incomplete')),
    entry.view.editable ? h('p', {}, h('a', { href: `#/petugas/warga/${uuid}` }, t('assisted.edit_applicant'))) : null,
    entry.view.tracking_number ? h('p', {}, h('a', { href: `#/petugas/tanda-terima/${uuid}`, id: 'to-receipt' }, t('assisted.receipt_title'))) : null);
}

/** `#/petugas[/…]`. */
export async function renderOfficer(app, args) {
  if (args[0] === 'baru') await renderChooseService(app);
  else if (args[0] === 'warga' && args[1]) await renderApplicant(app, args.slice(1));
  else if (args[0] === 'tanda-terima' && args[1]) await renderReceipt(app, args[1]);
  else await renderOfficerHome(app);
}
