// The app shell: renders without the network once the service worker has precached it.
import { t, currentLang, setLang } from './i18n.js';
import { h } from './ui/dom.js';
import { registerServiceWorker } from './sw-register.js';

const app = document.getElementById('app');
const net = document.getElementById('net');

function showNetwork() {
  const online = navigator.onLine;
  net.textContent = online ? t('net.online') : t('net.offline');
  net.classList.toggle('offline', !online);
}

function renderHome() {
  document.documentElement.lang = currentLang();
  app.replaceChildren(
    h('h1', {}, t('app.title')),
    h('p', { class: 'muted' }, t('app.tagline')),
    h('section', { class: 'card', id: 'offline-ready' }, h('p', {}, t('home.offline_ready'))),
    h('p', {}, h('a', { class: 'button', href: '/wilayah' }, t('home.services'))),
    h('p', {}, h('button', {
      class: 'secondary', type: 'button',
      onclick: () => { setLang(currentLang() === 'id' ? 'en' : 'id'); render(); },
    }, t('lang.switch'))),
  );
}

function render() {
  showNetwork();
  renderHome();
}

window.addEventListener('online', showNetwork);
window.addEventListener('offline', showNetwork);
render();
registerServiceWorker(document.getElementById('update'));
