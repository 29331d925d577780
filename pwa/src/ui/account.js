// Daftar (enrol), Masuk (passkey sign-in), Kode (assisted enrolment or recovery), Perangkat saya.
// Who is signed in is remembered on the device, so the signed-in shell opens offline too.
import { t } from '../i18n.js';
import { api, ApiError } from '../data/api.js';
import { createPasskey, passkeysSupported, usePasskey } from '../data/passkey.js';
import { h } from './dom.js';
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
  el.textContent = err instanceof ApiError ? err.message : (err?.name === 'NotAllowedError' ? t('passkey.cancelled') : t('passkey.failed'));
}

function field(id, label, attrs = {}) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, required: true, ...attrs }));
}

function showRecoveryCodes(app, codes, next) {
  app.replaceChildren(
    h('h1', {}, t('recovery.title')),
    h('p', {}, t('recovery.explain')),
    h('ol', { class: 'card codes', id: 'recovery-codes' }, codes.map((c) => h('li', {}, h('code', {}, c)))),
    h('button', { type: 'button', onclick: next }, t('recovery.saved')),
  );
}

async function finishEnrollment(app, options, navigate, status) {
  status.textContent = t('passkey.creating');
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
    const button = form.querySelector('button');
    button.disabled = true;
    status.textContent = t('enroll.checking');
    try {
      const options = await api('/api/identity/enroll/start', { method: 'POST', body: data });
      await finishEnrollment(app, options, navigate, status);
    } catch (err) {
      message(status, err);
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
  const access = h('div', { id: 'access-slot' });
  import('./access.js').then((m) => access.replaceChildren(m.accessSection())).catch(console.error);
  const wallet = h('p', {}, h('a', { href: '#/dompet', id: 'wallet-link' }, t('wallet.title')));
  const push = h('div', { id: 'push-slot' });
  import('./notify.js').then((m) => push.replaceChildren(m.pushSection())).catch(console.error);
  if (!navigator.onLine) {
    app.replaceChildren(h('h1', {}, t('devices.title')), h('p', { class: 'card' }, t('devices.offline')), wallet, access);
    return;
  }
  const [devices, keys] = await Promise.all([api('/api/identity/devices'), api('/api/identity/passkeys')]);
  const act = (fn) => async () => {
    try { await withReauth(fn); await renderDevices(app, navigate); } catch (err) { message(status, err); }
  };
  app.replaceChildren(
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
