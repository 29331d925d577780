// The sync card on the home screen, the list and each draft: when the device last synced, how
// many drafts still wait to be sent, "Sinkronkan sekarang", and a way back in after a session
// ended. It follows data/sync.js and stops listening once it leaves the page.
import { t } from '../i18n.js';
import { startSync, subscribe, syncNow } from '../data/sync.js';
import { h } from './dom.js';
import { formatTime } from './time.js';

export function syncCard() {
  const status = h('p', { id: 'sync-status', role: 'status' });
  const last = h('p', { class: 'muted', id: 'sync-last' });
  const pending = h('p', { id: 'sync-pending' });
  const denied = h('p', { class: 'msg', id: 'sync-denied' });
  const signIn = h('p', { id: 'sync-signin', hidden: true });
  const storage = h('p', { class: 'msg', id: 'sync-storage', role: 'alert', hidden: true }, t('sync.storage_low'));
  const button = h('button', { type: 'button', class: 'secondary', id: 'sync-now', onclick: () => syncNow() }, t('sync.now'));
  const card = h('section', { class: 'card sync', id: 'sync', 'aria-label': t('sync.title') },
    status, last, pending, denied, signIn, storage, h('p', {}, button));

  const signInButton = h('button', { type: 'button', id: 'sync-signin-button', onclick: async () => {
    signInButton.disabled = true;
    try {
      const { signInWithPasskey } = await import('./account.js');
      await signInWithPasskey(); // signing in restarts sync (main.js listens)
    } catch (err) {
      status.textContent = err?.name === 'NotAllowedError' ? t('passkey.cancelled') : (err?.message || t('passkey.failed'));
    } finally {
      signInButton.disabled = false;
    }
  } }, t('sync.sign_in'));

  let shown = '';
  const unsubscribe = subscribe((s) => {
    if (!card.isConnected && shown) { queueMicrotask(() => unsubscribe()); return; }
    shown = s.status;
    status.textContent = t(`sync.status.${s.status}`, { message: s.message || '' }).trim();
    card.dataset.status = s.status;
    last.textContent = s.lastSync ? t('sync.last', { time: formatTime(s.lastSync) }) : t('sync.never');
    pending.textContent = s.pending ? t('sync.pending', { n: s.pending }) : t('sync.none_pending');
    pending.dataset.count = String(s.pending);
    denied.textContent = s.denied ? t('sync.denied', { n: s.denied }) : '';
    denied.hidden = !s.denied;
    const needsSignIn = s.status === 'needs_sign_in';
    signIn.hidden = !needsSignIn;
    if (needsSignIn && !signIn.firstChild) signIn.append(signInButton);
    button.hidden = needsSignIn;
    storage.hidden = !s.storageLow;
  });
  startSync();
  return card;
}
