// Message catalogs: Bahasa Indonesia first, English second. Every UI string comes from here.
// English is loaded only when chosen (and kept by the service worker once fetched), so the
// first visit carries one catalog; until it is there, Indonesian shows.
import id from './locales/id.json';

const catalogs = { id };
const LANGS = ['id', 'en'];
let lang = LANGS.includes(localStorage.getItem('lang')) ? localStorage.getItem('lang') : 'id';

/** Load the chosen language's catalog if it is not in yet; never fails (Indonesian stays). */
export async function loadCatalog() {
  if (lang === 'en' && !catalogs.en) {
    try {
      catalogs.en = (await import('./locales/en.json')).default;
    } catch {
      // offline before English was ever fetched: Indonesian until the next time online
    }
  }
}

// `{n}` of 1 takes the key's `.one` form where a catalog has one ("1 working day").
function lookup(key, values) {
  if (values.n === 1 || values.n === '1') {
    const one = catalogs[lang]?.[`${key}.one`];
    if (one !== undefined) return one;
  }
  return catalogs[lang]?.[key] ?? catalogs.id[key] ?? key;
}

export function t(key, values = {}) {
  const text = lookup(key, values);
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

export function currentLang() {
  return lang;
}

export async function setLang(next) {
  lang = LANGS.includes(next) ? next : 'id';
  localStorage.setItem('lang', lang);
  document.documentElement.lang = lang;
  await loadCatalog();
}
