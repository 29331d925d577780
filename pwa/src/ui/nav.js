// The way back: every screen that is not reached from a list has a link home at its top.
import { t } from '../i18n.js';
import { h } from './dom.js';

export function backHome() {
  return h('nav', { class: 'crumbs', 'aria-label': t('nav.label') }, h('a', { href: '#/', 'data-testid': 'back-home' }, t('nav.home')));
}

export function backTo(href, text) {
  return h('nav', { class: 'crumbs', 'aria-label': t('nav.label') }, h('a', { href }, text));
}

/** A new screen drawn without a change of address (e.g. after a form): open it at its top, heading focused. */
export function atTop(app) {
  window.scrollTo(0, 0);
  const heading = app.querySelector('h1');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus({ preventScroll: true });
}
