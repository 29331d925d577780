// Dates and times as people in Indonesia read them, in the app's language.
import { currentLang } from '../i18n.js';

const locale = () => (currentLang() === 'en' ? 'en-GB' : 'id-ID');

export function formatTime(iso) {
  return new Date(iso).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
}

export function clockTime(iso) {
  return new Date(iso).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}
