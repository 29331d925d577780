// Back-office pages (server-rendered) use passkeys too: sign-in and staff enrolment by link.
import { api, ApiError } from './data/api.js';
import { createPasskey, usePasskey } from './data/passkey.js';

const status = document.getElementById('passkey-status');

function show(err) {
  status.textContent = err instanceof ApiError ? err.message : status.dataset.failed;
}

async function signIn() {
  try {
    const options = await api('/api/identity/login/start', { method: 'POST' });
    const credential = await usePasskey(options);
    await api('/api/identity/login/finish', { method: 'POST', body: { credential } });
    location.assign(status.dataset.next || '/backoffice');
  } catch (err) {
    show(err);
  }
}

async function enroll() {
  // the code travels in the fragment, so it never reaches server logs
  const code = new URLSearchParams(location.hash.slice(1)).get('kode') || document.getElementById('code')?.value;
  try {
    const options = await api('/api/identity/enroll/code', { method: 'POST', body: { code } });
    const credential = await createPasskey(options);
    await api('/api/identity/enroll/finish', { method: 'POST', body: { credential } });
    location.assign('/backoffice');
  } catch (err) {
    show(err);
  }
}

document.getElementById('passkey-signin')?.addEventListener('click', signIn);
document.getElementById('passkey-enroll')?.addEventListener('click', enroll);
