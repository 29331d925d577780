// Service-worker lifecycle on the page side: a new version waits until the person taps "Perbarui".
import { Workbox } from 'workbox-window';
import { t } from './i18n.js';

export function registerServiceWorker(banner) {
  if (!('serviceWorker' in navigator)) return null;
  const wb = new Workbox('/sw.js', { scope: '/' });
  const offer = () => {
    banner.replaceChildren();
    const text = document.createElement('span');
    text.textContent = `${t('update.available')} — `;
    const button = document.createElement('button');
    button.className = 'secondary';
    button.textContent = t('update.apply');
    button.addEventListener('click', () => {
      button.disabled = true;
      // Reload once the waiting worker has taken over, so the page and the cache match.
      wb.addEventListener('controlling', () => window.location.reload());
      wb.messageSkipWaiting();
    });
    banner.append(text, button);
    banner.hidden = false;
  };
  wb.addEventListener('waiting', offer);
  wb.register().catch((err) => console.warn('service worker registration failed', err));
  return wb;
}
