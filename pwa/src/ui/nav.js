// The way back: every screen that is not reached from a list has a link home at its top.
import { t } from '../i18n.js';
import { h } from './dom.js';

export function backHome() {
  return h('nav', { class: 'crumbs', 'aria-label': t('nav.label') }, h('a', { href: '#/', 'data-testid': 'back-home' }, t('nav.home')));
}

export function backTo(href, text) {
  return h('nav', { class: 'crumbs', 'aria-label': t('nav.label') }, h('a', { href }, text));
}
