// Notifications, asked for only when they make sense: the card after a person's own first
// submission ("Aktifkan notifikasi" / "Nanti saja"), and the per-device switch on "Perangkat saya".
import { t } from '../i18n.js';
import { ApiError } from '../data/api.js';
import { rememberedAccount } from '../data/me.js';
import { PushError, decline, declined, disablePush, enablePush, needsHomeScreen, permission, pushStatus, pushSupported } from '../data/push.js';
import { offerAfterSubmit } from '../data/pushstate.js';
import { h } from './dom.js';

function say(el, err) {
  el.textContent = err instanceof PushError || err instanceof ApiError ? err.message : t('push.failed', { reason: err?.message || '' });
}

/** The card shown after a submission, or null when there is nothing to ask. */
export function pushOfferCard() {
  const kind = offerAfterSubmit({
    account: rememberedAccount(), supported: pushSupported(), permission: permission(), declined: declined(), ios: needsHomeScreen(),
  });
  if (!kind) return null;
  const status = h('p', { class: 'msg', role: 'status', id: 'push-offer-msg' });
  const card = h('section', { class: 'card push-offer', id: 'push-offer', 'aria-labelledby': 'push-offer-title' });
  const later = h('button', { type: 'button', class: 'secondary', id: 'push-later', onclick: () => { decline(); card.hidden = true; } },
    t('push.later'));
  if (kind === 'home_screen') {
    card.append(h('h2', { id: 'push-offer-title' }, t('push.offer_title')), h('p', {}, t('push.home_screen')), h('p', {}, later));
    return card;
  }
  const enable = h('button', { type: 'button', id: 'push-enable', onclick: async () => {
    enable.disabled = true;
    later.disabled = true;
    status.textContent = t('push.enabling');
    try {
      await enablePush();
      card.replaceChildren(h('p', { role: 'status', id: 'push-offer-msg' }, t('push.enabled')));
    } catch (err) {
      say(status, err);
      if (permission() === 'denied') enable.hidden = true;
    } finally {
      enable.disabled = false;
      later.disabled = false;
    }
  } }, t('push.enable'));
  card.append(h('h2', { id: 'push-offer-title' }, t('push.offer_title')), h('p', {}, t('push.why')),
    h('p', {}, enable, ' ', later), status);
  return card;
}

/** "Notifikasi di perangkat ini" on the devices screen (online only: the server is asked). */
export function pushSection() {
  const state = h('p', { id: 'push-state', role: 'status' });
  const help = h('p', { class: 'muted', id: 'push-help' });
  const status = h('p', { class: 'msg', role: 'alert', id: 'push-msg' });
  const button = h('button', { type: 'button', class: 'secondary', id: 'push-toggle' });
  const section = h('section', { class: 'card', id: 'push' }, h('h2', {}, t('push.device_title')), state, help, h('p', {}, button), status);
  let enabled = false;

  const show = async () => {
    help.textContent = '';
    button.hidden = false;
    if (needsHomeScreen()) {
      state.textContent = t('push.off');
      help.textContent = t('push.home_screen');
      button.hidden = true;
      return;
    }
    if (!pushSupported()) {
      state.textContent = t('push.off');
      help.textContent = t('push.unsupported');
      button.hidden = true;
      return;
    }
    try {
      const s = await pushStatus();
      enabled = s.enabled;
    } catch (err) {
      say(status, err);
      enabled = false;
    }
    state.textContent = enabled ? t('push.on') : t('push.off');
    section.dataset.enabled = String(enabled);
    button.textContent = enabled ? t('push.turn_off') : t('push.enable');
    if (!enabled && permission() === 'denied') {
      help.textContent = t('push.blocked_help');
      button.hidden = true;
    }
  };

  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = enabled ? '' : t('push.enabling');
    try {
      if (enabled) await disablePush(); else await enablePush();
      status.textContent = '';
    } catch (err) {
      say(status, err);
    } finally {
      button.disabled = false;
      await show();
    }
  });
  state.textContent = t('push.checking');
  show();
  return section;
}
