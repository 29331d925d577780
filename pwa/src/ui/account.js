// Daftar (enrol), Masuk (passkey sign-in), Kode (assisted enrolment or recovery), Perangkat saya.
// Who is signed in is remembered on the device, so the signed-in shell opens offline too.
import { t } from '../i18n.js';
import { api, ApiError } from '../data/api.js';
import { createPasskey, passkeysSupported, usePasskey } from '../data/passkey.js';
import { h } from './dom.js';
import { atTop, backHome } from './nav.js';
import { validateNik } from '../forms/nik.js';
import { forgetDevice, remember, rememberBudget, rememberedAccount } from '../data/me.js';

export { rememberedAccount, lastAccountId } from '../data/me.js';

// Online: ask the server; offline: keep what the device knows. Never clears local drafts.
export async function refreshAccount() {
  if (!navigator.onLine) return rememberedAccount();
  try {
    const me = await api('/api/identity/me');
    remember(me.signed_in ? me.account : null);
    if (me.signed_in) rememberBudget(me.account.id, me.doc_budget);
    return me.signed_in ? me.account : null;
  } catch (err) {
    return rememberedAccount();
  }
}

function message(el, err) {
  el.className = 'msg';
  el.textContent = err instanceof ApiError ? err.message : (err?.name === 'NotAllowedError' ? t('passkey.cancelled') : t('passkey.failed'));
}

function progress(el, text) {
  el.className = 'muted';
  el.textContent = text;
}

function field(id, label, attrs = {}, hint = null) {
  return h('div', { class: 'field', 'data-field': id }, h('label', { for: id }, label),
    h('input', { id, name: id, required: true, 'aria-describedby': `${id}-msg${hint ? ` ${id}-hint` : ''}`, ...attrs }),
    hint ? h('small', { class: 'muted', id: `${id}-hint` }, hint) : null,
    h('p', { class: 'msg', id: `${id}-msg` }));
}

/** Mark the fields with a problem ({id: message}); the first one comes into view with focus. */
function markFields(form, problems) {
  for (const row of form.querySelectorAll('.field[data-field]')) {
    const id = row.dataset.field;
    const text = problems[id] || '';
    row.classList.toggle('invalid', Boolean(text));
    row.querySelector('.msg').textContent = text;
    const input = row.querySelector('input');
    if (text) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
  }
  const first = form.querySelector('.field.invalid input');
  if (first) { first.scrollIntoView({ block: 'center' }); first.focus({ preventScroll: true }); }
}

function enrollProblems(data) {
  const problems = {};
  const nik = validateNik(data.nik || '');
  if (!data.nik) problems.nik = t('enroll.nik_missing');
  else if (!nik.ok) problems.nik = nik.errors[0]?.message || t('enroll.nik_invalid');
  if (!data.full_name?.trim()) problems.full_name = t('enroll.name_missing');
  if (!data.birth_date) problems.birth_date = t('enroll.birth_date_missing');
  if (!data.birth_place?.trim()) problems.birth_place = t('enroll.birth_place_missing');
  return problems;
}

function codesText(codes) {
  return `${t('recovery.file_heading')}\n\n${codes.map((c, i) => `${i + 1}. ${c}`).join('\n')}\n\n${t('recovery.file_note')}\n`;
}

/** Ten codes, readable, and ways to keep them: print, save as a file, share, copy. */
function showRecoveryCodes(app, codes, next) {
  const status = h('p', { role: 'status', id: 'recovery-status' });
  const text = codesText(codes);
  const save = () => {
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    const a = h('a', { href: url, download: 'kode-pemulihan-mpp-digital.txt' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = t('recovery.saved_file');
  };
  const share = navigator.share ? h('button', { type: 'button', class: 'secondary', id: 'recovery-share', onclick: () => navigator.share({ title: t('recovery.title'), text })
    .then(() => { status.textContent = t('recovery.shared'); }).catch(() => {}) }, t('recovery.share')) : null;
  app.replaceChildren(
    h('h1', {}, t('recovery.title')),
    h('p', {}, t('recovery.explain')),
    h('ol', { class: 'card codes', id: 'recovery-codes' }, codes.map((c) => h('li', {}, h('code', {}, c)))),
    h('div', { class: 'actions no-print' },
      h('button', { type: 'button', class: 'secondary', id: 'recovery-print', onclick: () => window.print() }, t('recovery.print')),
      h('button', { type: 'button', class: 'secondary', id: 'recovery-save', onclick: save }, t('recovery.save_file')),
      share,
      h('button', { type: 'button', class: 'secondary', id: 'recovery-copy', onclick: () => navigator.clipboard?.writeText(text)
        .then(() => { status.textContent = t('recovery.copied'); }, () => { status.textContent = t('recovery.copy_failed'); }) }, t('recovery.copy'))),
    status,
    h('p', { class: 'no-print' }, h('button', { type: 'button', onclick: next }, t('recovery.saved'))),
  );
  atTop(app);
}

async function finishEnrollment(app, options, navigate, status) {
  progress(status, t('passkey.creating'));
  const credential = await createPasskey(options);
  const result = await api('/api/identity/enroll/finish', { method: 'POST', body: { credential } });
  remember(result.account);
  if (result.recovery_codes?.length) showRecoveryCodes(app, result.recovery_codes, () => navigate('#/'));
  else navigate('#/');
}

export function renderEnroll(app, navigate) {
  const status = h('p', { class: 'msg', role: 'alert', id: 'enroll-msg' });
  const form = h('form', { class: 'card', id: 'enroll-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    if (!data.phone) delete data.phone;
    const problems = enrollProblems(data);
    markFields(form, problems);
    if (Object.keys(problems).length) { message(status, new ApiError(400, { message: t('enroll.fix_marked') })); return; }
    const button = form.querySelector('button');
    button.disabled = true;
    progress(status, t('enroll.checking'));
    try {
      const options = await api('/api/identity/enroll/start', { method: 'POST', body: data });
      await finishEnrollment(app, options, navigate, status);
    } catch (err) {
      // the server names the fields it refused; they are marked like the device's own checks
      const refused = Object.fromEntries((err?.details?.fields || []).filter((f) => f.key).map((f) => [f.key, t('enroll.field_refused')]));
      if (err?.code === 'identity.phone_invalid') refused.phone = err.message;
      markFields(form, refused);
      message(status, Object.keys(refused).length ? new ApiError(400, { message: t('enroll.fix_marked') }) : err);
    } finally {
      button.disabled = false;
    }
  } },
  field('nik', t('enroll.nik'), { inputmode: 'numeric', maxlength: 16, autocomplete: 'off' }),
  field('full_name', t('enroll.full_name'), { autocomplete: 'name' }),
  field('birth_date', t('enroll.birth_date'), { type: 'date' }),
  field('birth_place', t('enroll.birth_place')),
  field('phone', t('enroll.phone'), { type: 'tel', inputmode: 'tel', autocomplete: 'tel', required: false }),
  h('button', { type: 'submit' }, t('enroll.submit')),
  status);
  app.replaceChildren(
    backHome(),
    h('h1', {}, t('enroll.title')),
    h('p', { class: 'muted' }, t('enroll.explain')),
    passkeysSupported() ? form : h('p', { class: 'card' }, t('passkey.unsupported')),
    h('p', {}, h('a', { href: '#/kode' }, t('enroll.have_code'))),
    h('p', {}, h('a', { href: '#/masuk' }, t('enroll.have_account'))),
  );
}

export function renderCode(app, navigate) {
  const status = h('p', { class: 'msg', role: 'alert' });
  const form = h('form', { class: 'card', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    try {
      const options = await api('/api/identity/enroll/code', { method: 'POST', body: { code: form.code.value } });
      await finishEnrollment(app, options, navigate, status);
    } catch (err) {
      message(status, err);
    }
  } }, field('code', t('code.label'), { autocomplete: 'one-time-code', autocapitalize: 'characters' }), h('button', { type: 'submit' }, t('code.submit')), status);
  app.replaceChildren(h('h1', {}, t('code.title')), h('p', { class: 'muted' }, t('code.explain')), form);
}

export async function signInWithPasskey() {
  const options = await api('/api/identity/login/start', { method: 'POST' });
  const credential = await usePasskey(options);
  const result = await api('/api/identity/login/finish', { method: 'POST', body: { credential } });
  remember(result.account);
  return result.account;
}

export function renderSignIn(app, navigate, { after = '#/' } = {}) {
  const status = h('p', { class: 'msg', role: 'alert', id: 'signin-msg' });
  app.replaceChildren(
    backHome(),
    h('h1', {}, t('signin.title')),
    h('p', { class: 'muted' }, t('signin.explain')),
    h('p', {}, h('button', { type: 'button', id: 'signin', onclick: async () => {
      status.textContent = '';
      try {
        await signInWithPasskey();
        navigate(after);
      } catch (err) {
        message(status, err);
      }
    } }, t('signin.button'))),
    status,
    h('p', {}, h('a', { href: '#/daftar' }, t('signin.no_account'))),
    h('p', {}, h('a', { href: '#/kode' }, t('signin.lost_device'))),
  );
}

// Sensitive changes need a fresh sign-in: on "reauth required" ask for the passkey, then retry once.
async function withReauth(action) {
  try {
    return await action();
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'auth.reauth_required') throw err;
    await signInWithPasskey();
    return action();
  }
}

export async function renderDevices(app, navigate) {
  const account = await refreshAccount();
  if (!account) { renderSignIn(app, navigate, { after: '#/perangkat' }); return; }
  const status = h('p', { class: 'msg', role: 'status' });
  const access = h('p', {}, h('a', { href: '#/akses', id: 'access-link' }, t('access.title')));
  const wallet = h('p', {}, h('a', { href: '#/dompet', id: 'wallet-link' }, t('wallet.title')));
  const push = h('div', { id: 'push-slot' });
  import('./notify.js').then((m) => push.replaceChildren(m.pushSection())).catch(console.error);
  const cannotList = (text) => app.replaceChildren(backHome(), h('h1', {}, t('devices.title')),
    h('p', { class: 'card', id: 'devices-unavailable' }, text), wallet, access);
  if (!navigator.onLine) { cannotList(t('devices.offline')); return; }
  let devices;
  let keys;
  try {
    [devices, keys] = await Promise.all([api('/api/identity/devices'), api('/api/identity/passkeys')]);
  } catch (err) {
    // signal, but the server does not answer: say that, and keep what works on the device
    if (err instanceof ApiError && err.status === 0) { cannotList(err.message); return; }
    throw err;
  }
  const act = (fn) => async () => {
    try { await withReauth(fn); await renderDevices(app, navigate); } catch (err) { message(status, err); }
  };
  app.replaceChildren(
    backHome(),
    h('h1', {}, t('devices.title')),
    h('p', { class: 'muted' }, t('devices.signed_in_as', { name: account.name, level: t(`assurance.${account.assurance}`) })),
    h('section', { class: 'card' }, h('h2', {}, t('devices.devices')),
      h('ul', { class: 'plain', id: 'devices' }, devices.map((d) => h('li', {}, `${d.name}${d.current ? ` (${t('devices.this_one')})` : ''} — ${new Date(d.last_seen_at).toLocaleString('id-ID')} `,
        d.current ? null : h('button', { type: 'button', class: 'secondary', onclick: act(() => api(`/api/identity/devices/${d.id}`, { method: 'DELETE' })) }, t('devices.revoke')))))),
    h('section', { class: 'card' }, h('h2', {}, t('devices.passkeys')),
      h('ul', { class: 'plain', id: 'passkeys' }, keys.map((k) => h('li', {}, `${k.name || 'Passkey'}${k.locked ? ` — ${t('devices.locked')}` : ''} `,
        h('button', { type: 'button', class: 'secondary', onclick: act(() => api(`/api/identity/passkeys/${encodeURIComponent(k.id)}`, { method: 'DELETE' })) }, t('devices.remove'))))),
      h('button', { type: 'button', onclick: act(async () => {
        const options = await api('/api/identity/passkeys/start', { method: 'POST' });
        const credential = await createPasskey(options);
        await api('/api/identity/passkeys/finish', { method: 'POST', body: { credential } });
      }) }, t('devices.add_passkey'))),
    h('section', { class: 'card' }, h('h2', {}, t('recovery.title')),
      h('button', { type: 'button', class: 'secondary', onclick: async () => {
        try {
          const result = await withReauth(() => api('/api/identity/recovery-codes', { method: 'POST' }));
          showRecoveryCodes(app, result.recovery_codes, () => renderDevices(app, navigate));
        } catch (err) { message(status, err); }
      } }, t('recovery.new'))),
    push,
    wallet,
    access,
    status,
    h('p', {}, h('button', { type: 'button', class: 'secondary', id: 'signout', onclick: async () => {
      try { await api('/api/identity/logout', { method: 'POST' }); } catch (err) { /* signed out locally anyway */ }
      // the server drops this device's push subscription at sign-out; the browser drops its own
      import('../data/push.js').then((m) => m.unsubscribeLocally()).catch(console.error);
      forgetDevice();
      navigate('#/');
    } }, t('signout.button'))),
  );
}
