// Dates and times as people in Indonesia read them, in the app's language.
import { currentLang } from '../i18n.js';

const locale = () => (currentLang() === 'en' ? 'en-GB' : 'id-ID');

export function formatTime(iso) {
  return new Date(iso).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });
}

export function clockTime(iso) {
  return new Date(iso).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
}

/** A calendar date ("2031-11-23", or an ISO time) as a long local date: "23 November 2031". */
export function formatDate(value) {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`) : new Date(value);
  return date.toLocaleDateString(locale(), { dateStyle: 'long' });
}
