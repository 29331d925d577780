// Catalog text comes in Indonesian and, where the catalog has it, English. In the English app an
// Indonesian-only text is marked `lang="id"`, so screen readers pronounce it as Indonesian.
import { currentLang } from '../i18n.js';
import { h } from './dom.js';

/** The item's text in the app's language as a string (for attributes and sorting). */
export function labelText(item) {
  return (currentLang() === 'en' && item.label_en) || item.label_id || '';
}

/** The item's text as a node: marked `lang="id"` when the English app shows Indonesian. */
export function localized(item) {
  const text = labelText(item);
  if (currentLang() === 'en' && !item.label_en) return h('span', { lang: 'id' }, text);
  return text;
}

/** Free text that is always Indonesian (help texts, notes from staff, legal basis). */
export function indonesian(text) {
  return currentLang() === 'en' ? h('span', { lang: 'id' }, text) : text;
}
