// Message catalogs: Bahasa Indonesia first, English second. Every UI string comes from here.
import id from './locales/id.json';
import en from './locales/en.json';

const catalogs = { id, en };
let lang = localStorage.getItem('lang') || 'id';
if (!catalogs[lang]) lang = 'id';

export function t(key, values = {}) {
  const text = catalogs[lang][key] ?? catalogs.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

export function currentLang() {
  return lang;
}

export function setLang(next) {
  lang = catalogs[next] ? next : 'id';
  localStorage.setItem('lang', lang);
  document.documentElement.lang = lang;
}
