// "Permohonan saya" and one draft (`#/draf/<uuid>`): the form of the service version the draft
// pinned, saved on the device at every change, "Kirim" / "Kirim ulang", the state the server
// reported, the gateway's refusal if any, and the choice between versions edited on two devices.
import { t } from '../i18n.js';
import { pullCatalog, regionInfo, serviceVersion } from '../data/catalog.js';
import {
  DraftLocked, DraftTooLarge, budgetUse, conflictRevisions, createDraft, deleteDraft, listDrafts, listFiledForMe, listWallet, loadDraft, newDraftId,
  onLocalChange, resolveConflict, saveValues, submitDraft,
} from '../data/drafts.js';
import { DRAFT_PREFIX, draftUuid, draftView, newDraft, statusIdFor } from '../data/draftstate.js';
import { docBudget, lastAccountId, rememberedAccount } from '../data/me.js';
import { startSync, subscribe } from '../data/sync.js';
import { blobRecords, fileBytes, forgetRef, onBlobChange, storeFile } from '../data/blobs.js';
import { applicantRefs } from '../data/blobstate.js';
import { startUploads } from '../data/uploads.js';
import { outputCard, withdrawControl } from './outcome.js';
import { buildForm, checkLine, focusFirstProblem, label, notFound, placesFor, summaryLine, today } from './form.js';
import { atTop, backHome, backTo } from './nav.js';
import { placeItems, requirementItem } from './service.js';
import { evaluateLenient } from '../forms/conditions.js';
import { syncCard } from './syncbar.js';
import { h } from './dom.js';
import { clockTime, formatDate, formatTime } from './time.js';
import { openButton } from './wallet.js';
import { outputFilename } from '../data/serverfiles.js';

function stateLabel(view) {
  return t(view.label, view.params);
}

function stateBadge(view) {
  return h('span', { class: `state state-${view.key}`, 'data-state': view.key, 'data-testid': 'draft-state' }, stateLabel(view));
}

function serviceName(doc, fallback) {
  return doc ? label({ label_id: doc.content.name_id, label_en: doc.content.name_en }) : fallback;
}

// Follow local writes and pulled docs for some ids, and sync state, until `root` leaves the page.
function follow(root, ids, fn) {
  let timer = null;
  let offChange = null;
  let offSync = null;
  let first = true;
  const stop = () => { clearTimeout(timer); offChange?.(); offSync?.(); };
  const poke = () => {
    if (!root.isConnected) { stop(); return; }
    clearTimeout(timer);
    timer = setTimeout(() => { if (root.isConnected) fn(); else stop(); }, 150);
  };
  offChange = onLocalChange((id) => { if (!ids || ids.includes(id)) poke(); });
  offSync = subscribe(() => { if (first) { first = false; return; } poke(); });
  return stop;
}

// ---- Permohonan saya ----

function outputLine(output) {
  return h('div', { class: 'output-line', 'data-output': output.sha256 },
    h('p', {}, h('strong', {}, output.title || t('output.title')), output.number ? ` · ${output.number}` : '',
      output.valid_until ? h('br') : null, output.valid_until ? t('output.valid_until', { date: formatDate(output.valid_until) }) : null),
    output.development ? h('p', { class: 'msg' }, t('output.development')) : null,
    ...openButton(output, { label: t('output.open'), name: outputFilename(output), testid: 'open-output' }));
}

export async function renderDraftList(app) {
  if (!lastAccountId()) {
    app.replaceChildren(backHome(), h('h1', {}, t('drafts.title')), h('p', { class: 'card' }, t('drafts.no_account'), ' ',
      h('a', { href: '#/masuk' }, t('signin.title'))));
    return;
  }
  const list = h('ul', { class: 'plain', id: 'drafts' });
  const budget = h('p', { class: 'card msg', id: 'budget-warning', role: 'status', hidden: true });
  const root = h('div', {}, backHome(), h('h1', {}, t('drafts.title')), syncCard(), budget, h('section', { class: 'card' }, list),
    h('p', {}, h('a', { href: '#/ekspor', id: 'export-link' }, t('export.link'))));
  let shown = null;
  const fill = async () => {
    const [entries, filed, use] = await Promise.all([listDrafts(), listFiledForMe(), budgetUse(docBudget()).catch(() => null)]);
    budget.hidden = !use;
    budget.textContent = use ? t(use.key, use) : '';
    // redraw only when something visible changed, so a tap never lands on a replaced row
    const signature = JSON.stringify([entries.map((e) => [e.draft._id, e.draft.updated_at, e.view.key, e.view.params,
      e.view.tracking_number, e.view.output?.sha256 || null, e.conflicts.length]), filed.map((s) => [s._id, s._rev])]);
    if (signature === shown) return;
    shown = signature;
    const names = await Promise.all(entries.map((e) => serviceVersion(e.draft.region_code, e.draft.service_id, e.draft.service_version)
      .catch(() => null)));
    const filedNames = await Promise.all(filed.map((s) => serviceVersion(s.region_code, s.service_id).catch(() => null)));
    // filed by a field officer for this person: only the status doc is here, never editable
    const filedRows = filed.map((s, i) => h('li', { 'data-assisted': s._id.slice('status:'.length) },
      h('strong', {}, serviceName(filedNames[i], s.service_id || '')), h('br'),
      h('small', {}, t('assisted.filed_by', { name: s.assisted_by || '' })), h('br'),
      stateBadge({ key: s.state, label: `state.${s.state}`, params: { tracking: s.tracking_number || '' } }),
      s.tracking_number && s.state !== 'received' ? h('small', { class: 'muted' }, ` · ${s.tracking_number}`) : null,
      s.message ? h('p', { class: 'muted' }, s.message) : null));
    if (!entries.length && filedRows.length) {
      list.replaceChildren(...filedRows);
      fetchMissing(filed.filter((s, i) => !filedNames[i] && s.region_code).map((s) => s.region_code));
      return;
    }
    if (!entries.length) {
      const region = localStorage.getItem('region');
      list.replaceChildren(h('li', {}, t('drafts.empty'), ' ',
        h('a', { href: region ? `#/layanan/${region}` : '#/wilayah' }, t('home.services'))));
      return;
    }
    list.replaceChildren(...entries.map((e, i) => h('li', { 'data-draft': draftUuid(e.draft._id) },
      h('a', { href: `#/draf/${draftUuid(e.draft._id)}` }, serviceName(names[i], e.draft.service_id)),
      h('br'),
      stateBadge(e.view),
      e.view.tracking_number && e.view.key !== 'received' ? h('small', { class: 'muted' }, ` · ${e.view.tracking_number}`) : null,
      h('br'),
      h('small', { class: 'muted' }, t('drafts.updated', { time: formatTime(e.draft.updated_at) })),
      e.view.output ? outputLine(e.view.output) : null,
      e.conflicts.length ? h('p', { class: 'msg' }, t('drafts.conflict')) : null)), ...filedRows);
    fetchMissing([...entries.filter((e, i) => !names[i]).map((e) => e.draft.region_code),
      ...filed.filter((s, i) => !filedNames[i] && s.region_code).map((s) => s.region_code)]);
  };
  // drafts made on another device may name a region whose catalog this one has not pulled yet
  const tried = new Set();
  const fetchMissing = (regions) => {
    const todo = [...new Set(regions)].filter((r) => !tried.has(r));
    if (!todo.length || !navigator.onLine) return;
    todo.forEach((r) => tried.add(r));
    Promise.allSettled(todo.map((r) => pullCatalog(r))).then(() => {
      shown = null;
      if (root.isConnected) fill();
    });
  };
  app.replaceChildren(root);
  await fill();
  follow(root, null, fill);
  const offBlob = onBlobChange(() => { if (root.isConnected) fill().catch(console.error); else offBlob(); });
}

// ---- one draft ----

function valueText(field, value) {
  if (value === undefined || value === null || value === '') return t('conflict.empty');
  const options = new Map((field?.options || []).map((o) => (typeof o === 'string' ? [o, o] : [o.value, label(o)])));
  const one = (v) => (options.has(v) ? options.get(v) : (typeof v === 'boolean' ? t(v ? 'common.yes' : 'common.no') : String(v)));
  return Array.isArray(value) ? value.map(one).join(', ') : one(value);
}

async function conflictCard(id, fieldsById, onResolved) {
  const { docs, diff } = await conflictRevisions(id);
  const status = h('p', { role: 'status' });
  const metaText = (key, v) => (key === 'state' ? t(`draft.value.${v}`) : (v ?? t('conflict.empty')));
  const head = h('tr', {}, h('th', { scope: 'col' }, t('conflict.field')), docs.map((d, i) => h('th', { scope: 'col' },
    t('conflict.version', { n: i + 1 }), h('br'), h('small', { class: 'muted' }, t('conflict.changed', { time: formatTime(d.updated_at) })))));
  const rows = diff.map((row) => h('tr', { 'data-diff': row.key },
    h('th', { scope: 'row' }, row.kind === 'value' ? label(fieldsById.get(row.key) || { label_id: row.key }) : t(`draft.field.${row.key}`)),
    row.values.map((v) => h('td', {}, row.kind === 'value' ? valueText(fieldsById.get(row.key), v) : String(metaText(row.key, v))))));
  const choose = h('tr', {}, h('td', {}), docs.map((d, i) => h('td', {}, h('button', {
    type: 'button', 'data-rev': d._rev, 'aria-label': `${t('conflict.use')} (${t('conflict.version', { n: i + 1 })})`,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        await resolveConflict(id, d._rev);
        status.textContent = t('conflict.done');
        onResolved();
      } catch (err) {
        status.textContent = err.message;
        e.target.disabled = false;
      }
    },
  }, t('conflict.use')))));
  return h('section', { class: 'card conflict', id: 'conflict', 'aria-labelledby': 'conflict-title' },
    h('h2', { id: 'conflict-title' }, t('conflict.title')),
    h('p', { role: 'alert' }, t('conflict.explain')),
    diff.length ? null : h('p', { class: 'muted' }, t('conflict.same')),
    h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, head), h('tbody', {}, rows, choose))),
    status);
}

function stepLine(step) {
  return t(step.agency ? 'draft.step_agency' : 'draft.step', step);
}

function statusCard(entry) {
  const { view } = entry;
  const s = view.status;
  const notes = [];
  const fromServer = Boolean(s?.message || s?.next_step); // the server's own words come first
  if (view.key === 'needs_revision' && !fromServer) notes.push(t('draft.revision_note'));
  if (view.key === 'invalid' && !fromServer) notes.push(t('draft.invalid_note'));
  if (view.key === 'denied') notes.push(t('draft.denied_note'));
  return h('section', { class: 'card', id: 'draft-state' },
    h('p', { role: 'status', id: 'draft-state-label' }, stateBadge(view)),
    view.tracking_number ? h('p', { id: 'tracking' }, t('draft.tracking', { n: view.tracking_number })) : null,
    view.step ? h('p', { id: 'draft-step' }, stepLine(view.step)) : null,
    s?.message ? h('p', {}, s.message) : null,
    view.legal_basis ? h('p', { id: 'legal-basis' }, t('draft.legal_basis', { text: view.legal_basis })) : null,
    s?.next_step ? h('p', {}, t('draft.next_step', { text: s.next_step })) : null,
    notes.map((n) => h('p', { class: view.key === 'denied' ? 'msg' : '', role: view.key === 'denied' ? 'alert' : null }, n)),
    s?.history?.length ? h('details', {}, h('summary', {}, t('draft.history')),
      h('ul', { class: 'plain' }, s.history.map((x) => h('li', {}, `${formatTime(x.at)} · ${t(`state.${x.state}`, { tracking: s.tracking_number || '' })}${x.note ? ` — ${x.note}` : ''}`)))) : null,
    view.withdrawable ? withdrawControl(view.tracking_number) : null);
}

const VISIT_STATES = new Set(['received', 'in_process', 'in_review', 'resubmitted', 'approved', 'completed']);

/**
 * After the application is received: where to come (the service point the person chose, else the
 * agency's), when (opening hours; the result is announced in the app), and what to bring.
 */
function visitCard(entry, content, places) {
  if (!VISIT_STATES.has(entry.view.key)) return null;
  const values = entry.draft.values || {};
  const chosen = content.form_fields.find((f) => f.picker === 'service_point' && values[f.id]);
  const ctx = { ...values, _today: today() };
  const bring = (content.requirements || []).filter((r) => r.bring_original && (!r.when || evaluateLenient(r.when, ctx)));
  const locations = chosen ? places.locations.filter((l) => values[chosen.id].startsWith(l.name)) : places.locations;
  return h('section', { class: 'card', id: 'visit', 'aria-labelledby': 'visit-title' },
    h('h2', { id: 'visit-title' }, t('visit.title')),
    h('p', {}, t('visit.when')),
    chosen ? h('p', { id: 'visit-place' }, t('visit.chosen', { place: values[chosen.id] })) : null,
    locations.length ? h('ul', { class: 'plain' }, placeItems(locations)) : null,
    h('h3', {}, t('visit.bring')),
    h('ul', { id: 'visit-bring' }, h('li', {}, t('visit.bring_ktp')),
      entry.view.tracking_number ? h('li', {}, t('visit.bring_number', { n: entry.view.tracking_number })) : null,
      bring.map((r) => h('li', { 'data-bring': r.id }, t('visit.bring_original', { label: label(r) })))));
}

/** The operator's notes on requirements (`req:<id>`), listed above the form. */
function requirementNotes(view, content) {
  if (!view.notes.requirements.length) return null;
  const names = new Map((content.requirements || []).map((r) => [r.id, label(r)]));
  return h('div', { class: 'revision-note', id: 'requirement-notes' },
    h('p', {}, t('draft.requirement_notes')),
    h('ul', {}, view.notes.requirements.map((n) => h('li', { 'data-note': `req:${n.id}` }, `${names.get(n.id) || n.id}: ${n.text}`))));
}

// After a person's own submission the draft page may carry the notifications card (ui/notify.js);
// it lives here, not in the page, so the redraws that follow the server's answer keep it.
let pushOffer = null; // {draftId, card}

async function preparePushOffer(draftId) {
  if (pushOffer?.draftId === draftId) return;
  const { pushOfferCard } = await import('./notify.js');
  const card = pushOfferCard();
  pushOffer = card ? { draftId, card } : null;
}

// Coalesces answers typed while a write is under way into the next write; none is dropped.
function saver(id, { create, onSaved, onFailed }) {
  let patch = {};
  let running = null;
  let created = !create;
  const flush = async () => {
    while (Object.keys(patch).length) {
      const p = patch;
      patch = {};
      if (!created) {
        await create(p);
        created = true;
      } else {
        await saveValues(id, p);
      }
      onSaved();
    }
  };
  const kick = () => {
    if (running) return;
    running = flush().catch((err) => onFailed(err)).finally(() => {
      running = null;
      if (Object.keys(patch).length) kick();
    });
  };
  return {
    change(field, value) {
      patch[field] = value === undefined ? null : value;
      kick();
    },
    /** An answer the app filled in: written now (`now`), or with the next change. */
    seed(field, value, now = false) {
      patch[field] = value;
      if (now) kick();
    },
    async settle() {
      while (running) await running;
    },
  };
}

function draftPage(app, serviceDoc, entry, { isNew = false, info = null } = {}) {
  const id = entry.draft._id;
  const region = entry.draft.region_code;
  const c = serviceDoc.content;
  const values = { ...(entry.draft.values || {}) };
  const { view } = entry;
  const editable = view.editable && !entry.conflicts.length;
  const saved = h('p', { class: 'muted', id: 'saved', role: 'status' });
  const check = h('p', { class: 'msg', id: 'form-check', role: 'status' });
  const line = checkLine(check);
  let root;

  const rerender = async () => {
    await save.settle();
    const next = await loadDraft(id);
    if (next && root.isConnected) draftPage(app, serviceDoc, next, { info });
  };

  const save = saver(id, {
    create: isNew ? async (patch) => {
      await createDraft(region, serviceDoc.service_id, serviceDoc.version, { id, values: patch });
      history.replaceState(null, '', `#/draf/${draftUuid(id)}`);
      startSync();
    } : null,
    onSaved: () => { saved.textContent = t('draft.saved', { time: clockTime(new Date().toISOString()) }); },
    onFailed: (err) => {
      console.error(err);
      if (err instanceof DraftLocked) { saved.textContent = t('draft.locked'); rerender(); } else if (err instanceof DraftTooLarge) saved.textContent = t('draft.too_large');
      else saved.textContent = t('draft.save_failed');
    },
  });

  const files = {
    store: (blob, field, mime, filename) => storeFile(blob, { draftId: id, field, mime, filename }),
    forget: (value, field) => forgetRef(value.sha256, { draftId: id, field }),
    record: async (value) => (await blobRecords([value.sha256]))[value.sha256] || null,
    bytes: (value) => fileBytes(value.sha256),
    wallet: () => listWallet(),
  };
  // whose details fill the applicant's fields: the signed-in person (held to their verified
  // identity), or the citizen an officer files for (the officer may correct what was typed)
  const assistedApplicant = entry.draft.applicant?.kind === 'assisted' ? entry.draft.applicant : null;
  const identity = assistedApplicant ? { nik: assistedApplicant.nik, name: assistedApplicant.name } : rememberedAccount();
  const places = placesFor(info, c);
  const form = buildForm(c, values, { onChange: (field, value) => save.change(field, value), onCheck: (errors) => line.update(errors),
    serverErrors: view.errors, files, notes: view.notes.fields, places, identity: editable ? identity : null,
    lockIdentity: !assistedApplicant && identity?.kind === 'citizen' });
  // prefilled answers are saved with the first change of the person's own, or at "Kirim"
  for (const [field, value] of Object.entries(form.prefilled)) save.seed(field, value, !isNew);
  const submitLabel = view.resubmit ? t('draft.resubmit') : t('draft.submit');
  const submitButton = h('button', { type: 'submit', id: 'submit' }, submitLabel);
  const fieldset = h('fieldset', { class: 'plain', disabled: !editable }, form.fields);

  const onSubmit = async (e) => {
    e.preventDefault();
    if (submitButton.disabled) return;
    submitButton.disabled = true;
    try {
      const errors = form.touchAll();
      line.show(errors);
      if (Object.keys(errors).length) { focusFirstProblem(root); return; }
      await save.settle();
      if (isNew && !(await loadDraft(id))) await createDraft(region, serviceDoc.service_id, serviceDoc.version, { id, values });
      const result = await submitDraft(id, c.form_fields, today());
      if (result.busy) return;
      if (!result.ok) {
        line.show(result.errors);
        focusFirstProblem(root);
        return;
      }
      check.textContent = t('draft.submitted');
      history.replaceState(null, '', `#/draf/${draftUuid(id)}`);
      startSync();
      startUploads();
      // a field officer goes on to the receipt, which shows the numbers for the paper slip once synced
      if (assisted) { location.hash = `#/petugas/tanda-terima/${draftUuid(id)}`; return; }
      await preparePushOffer(id).catch(console.error);
      await rerender();
      atTop(app); // what happened to the application shows at the top, where the screen now is
    } catch (err) {
      console.error(err);
      check.textContent = err instanceof DraftTooLarge ? t('draft.too_large') : t('draft.save_failed');
    } finally {
      submitButton.disabled = false;
    }
  };

  const canDelete = !isNew && entry.draft.state === 'draft' && !entry.draft.submission_id;
  const conflictSlot = h('div', {});
  // who an officer files for; the officer screens load only for such drafts
  const assisted = entry.draft.applicant?.kind === 'assisted';
  const applicantSlot = h('div', {});
  if (assisted) import('./officer.js').then((m) => applicantSlot.replaceChildren(m.applicantCard(entry))).catch(console.error);
  root = h('div', { 'data-draft': draftUuid(id) },
    isNew
      ? backTo(`#/layanan/${region}/${serviceDoc.service_id}`, t('service.back_detail'))
      : backTo(assisted ? '#/petugas' : '#/permohonan', assisted ? t('assisted.back') : t('drafts.back')),
    h('h1', {}, serviceName(serviceDoc, entry.draft.service_id)),
    h('p', { class: 'muted' }, summaryLine(serviceDoc)),
    applicantSlot,
    isNew ? null : statusCard(entry),
    visitCard(entry, c, places),
    pushOffer?.draftId === id ? pushOffer.card : null,
    view.output ? outputCard(view.output) : null,
    conflictSlot,
    editable ? form.requirements : null,
    h('form', { class: 'card', id: 'draft-form', novalidate: true, onsubmit: onSubmit },
      requirementNotes(view, c),
      editable
        ? h('p', { class: 'muted' }, t('draft.autosave'))
        : h('p', { class: 'muted', id: 'read-only' }, entry.conflicts.length ? t('drafts.conflict') : t('draft.locked')),
      fieldset,
      saved,
      editable ? h('p', {}, submitButton) : null,
      check),
    editable ? null : form.requirements,
    isNew ? null : syncCard(),
    canDelete ? h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'delete-draft', onclick: async () => {
      if (!window.confirm(t('drafts.delete_confirm'))) return;
      await deleteDraft(id);
      location.hash = '#/permohonan';
    } }, t('drafts.delete'))) : null,
  );
  app.replaceChildren(root);
  form.refresh();
  if (entry.conflicts.length) {
    const fieldsById = new Map(c.form_fields.map((f) => [f.id, f]));
    conflictCard(id, fieldsById, rerender).then((card) => conflictSlot.replaceChildren(card)).catch(console.error);
  }

  // the server's answer, a push, or another device's change can arrive while this is open
  const signature = (e) => JSON.stringify([e.view.key, e.view.params, e.view.editable, e.view.resubmit, e.status?._rev || null,
    e.conflicts, e.denied?.reason || null]);
  const shown = signature(entry);
  const recheck = async () => {
    const next = await loadDraft(id);
    if (!next || !root.isConnected) return;
    if (signature(next) !== shown) rerender();
  };
  follow(root, [id, statusIdFor(id)], recheck);
  // a file of this draft went up or was refused
  const named = () => new Set([...Object.values(values).filter((v) => v?.sha256).map((v) => v.sha256),
    ...applicantRefs(entry.draft).map((r) => r.sha256)]);
  const offBlob = onBlobChange((sha256) => {
    if (!root.isConnected) { offBlob(); return; }
    if (named().has(sha256)) recheck().catch(console.error);
  });
}

async function pinnedVersion(draft) {
  let doc = await serviceVersion(draft.region_code, draft.service_id, draft.service_version);
  if (!doc && navigator.onLine) {
    try {
      await pullCatalog(draft.region_code);
      doc = await serviceVersion(draft.region_code, draft.service_id, draft.service_version);
    } catch { /* shown as missing below */ }
  }
  return doc;
}

/** `#/draf/<uuid>`: a draft opens with the service version it pinned. */
export async function renderDraft(app, uuid) {
  if (!lastAccountId()) { await renderDraftList(app); return; }
  const id = DRAFT_PREFIX + uuid;
  const entry = await loadDraft(id);
  if (!entry) {
    app.replaceChildren(h('h1', {}, t('draft.not_found_title')), h('p', { class: 'card' }, t('draft.not_found')), syncCard(),
      h('p', {}, h('a', { href: '#/permohonan' }, t('drafts.back'))));
    return;
  }
  const serviceDoc = await pinnedVersion(entry.draft);
  if (!serviceDoc) {
    app.replaceChildren(
      h('nav', { class: 'crumbs' }, h('a', { href: '#/permohonan' }, t('drafts.back'))),
      h('h1', {}, entry.draft.service_id),
      statusCard(entry),
      entry.view.output ? outputCard(entry.view.output) : null,
      h('p', { class: 'card', role: 'alert' }, t('draft.version_missing', { n: entry.draft.service_version })),
      h('section', { class: 'card' }, h('dl', {}, Object.entries(entry.draft.values || {}).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, valueText(null, v))]))),
      syncCard());
    return;
  }
  draftPage(app, serviceDoc, entry, { info: await regionInfo(entry.draft.region_code).catch(() => null) });
}

/** `#/ajukan/...` with an account: a new draft pinned to this version, made at the first answer. */
export async function renderNewDraft(app, region, serviceDoc) {
  const id = newDraftId();
  const draft = newDraft({ id, region, serviceId: serviceDoc.service_id, version: serviceDoc.version, now: new Date().toISOString() });
  const entry = { draft, status: null, pending: true, denied: null };
  draftPage(app, serviceDoc, { ...entry, view: draftView(entry), conflicts: [] }, { isNew: true, info: await regionInfo(region).catch(() => null) });
}
