// "Arti istilah": the words of public services and of this app, explained plainly (`#/istilah`).
import { t } from '../i18n.js';
import { h } from './dom.js';
import { backHome } from './nav.js';

export const TERMS = ['passkey', 'nik', 'kk', 'ktp', 'ikd', 'draft', 'send', 'tracking', 'workday', 'counter', 'bring_original',
  'wallet', 'recovery', 'tte', 'sip', 'str', 'officer'];

export function renderGlossary(app) {
  app.replaceChildren(backHome(), h('h1', {}, t('glossary.title')), h('p', { class: 'muted' }, t('glossary.explain')),
    h('dl', { class: 'card glossary', id: 'glossary' }, TERMS.flatMap((term) => [
      h('dt', { id: `istilah-${term}` }, t(`glossary.term.${term}`)), h('dd', {}, t(`glossary.def.${term}`))])));
}
