// The app shell and its screens; renders without the network once the service worker has
// precached it. Screens are addressed by the hash, so only "/" needs to be cached.
import { t, currentLang, loadCatalog, setLang } from './i18n.js';
import { h } from './ui/dom.js';
import { atTop } from './ui/nav.js';
import { registerServiceWorker } from './sw-register.js';
import { chosenRegion, renderRegionPicker } from './ui/regions.js';
import { refreshAccount, rememberedAccount } from './ui/account.js';
import { lastAccountId } from './data/me.js';
import { connection, onConnection, setProbe } from './data/connection.js';

const app = document.getElementById('app');
const net = document.getElementById('net');

// The header says what requests really do (data/connection.js), not only what the browser claims.
function showNetwork() {
  const state = connection();
  net.textContent = t(`net.state.${state}`);
  net.dataset.state = state;
  net.classList.toggle('offline', state === 'offline' || state === 'unreachable');
}

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function accountCard(account) {
  if (account) {
    return h('section', { class: 'card', id: 'account', 'aria-label': t('home.account') },
      h('p', {}, t('home.signed_in_as', { name: account.name })),
      h('p', {}, h('a', { class: 'button', href: '#/permohonan', id: 'my-applications' }, t('home.my_applications'))),
      h('ul', { class: 'links' },
        h('li', {}, inboxLink()),
        h('li', {}, h('a', { href: '#/dompet', id: 'home-wallet' }, t('wallet.title'))),
        h('li', {}, h('a', { href: '#/akses', id: 'home-access' }, t('access.title'))),
        h('li', {}, h('a', { href: '#/perangkat', id: 'home-devices' }, t('home.my_devices'))),
        // staff who open the app find their own work in the back office
        account.kind === 'staff' ? h('li', {}, h('a', { href: '/backoffice', id: 'home-backoffice' }, t('home.backoffice'))) : null));
  }
  return h('section', { class: 'card', id: 'account' },
    h('p', {}, t('home.sign_in_why')),
    h('p', {}, h('a', { class: 'button', href: '#/masuk' }, t('signin.title')), ' ', h('a', { href: '#/daftar' }, t('enroll.title'))));
}

// "Kotak masuk"; its unread count needs PouchDB, so it comes after the first paint
function inboxLink() {
  const link = h('a', { href: '#/kotak-masuk', id: 'home-inbox' }, t('inbox.title'));
  if (lastAccountId()) import('./ui/inbox.js').then((m) => m.showUnread(link)).catch((err) => console.error(err));
  return link;
}

// The sync card comes with PouchDB, so it loads after the home screen has painted.
function homeSyncCard() {
  const slot = h('div', { id: 'sync-slot' });
  if (!lastAccountId()) return slot;
  import('./ui/syncbar.js').then(({ syncCard }) => { if (slot.isConnected) slot.replaceChildren(syncCard()); })
    .catch((err) => console.error(err));
  return slot;
}

function renderHome() {
  const region = chosenRegion();
  const account = rememberedAccount();
  // a field officer's home is the day's applications; citizens never download those screens
  if (account?.roles?.includes('field_officer')) {
    import('./ui/officer.js').then((m) => m.renderOfficerHome(app)).catch((err) => console.error(err));
    return;
  }
  const syncSlot = homeSyncCard();
  app.replaceChildren(...[
    h('h1', {}, t('app.title')),
    h('p', { class: 'muted' }, t('app.tagline')),
    // what most people come for, first on the screen
    h('p', {}, h('a', { class: 'button', id: 'home-services', href: region ? `#/layanan/${region}` : '#/wilayah' }, t('home.services'))),
    accountCard(account),
    !account && lastAccountId() ? h('p', {}, h('a', { href: '#/permohonan', id: 'my-applications' }, t('home.my_applications'))) : null,
    !account && lastAccountId() ? h('p', {}, inboxLink()) : null,
    syncSlot,
    h('section', { class: 'card', id: 'offline-ready' }, h('p', {}, t('home.offline_ready'))),
    h('p', {}, h('a', { href: '#/istilah', id: 'home-glossary' }, t('glossary.link'))),
    h('p', {}, h('button', {
      class: 'secondary', type: 'button',
      onclick: () => setLang(currentLang() === 'id' ? 'en' : 'id').then(() => { showNetwork(); route(); }),
    }, t('lang.switch'))),
  ].filter(Boolean));
}

// A new screen opens at its top with its heading focused (so screen readers announce it); the
// first paint and redraws of the same screen leave focus and scroll where they are.
function arrived() {
  atTop(app);
}

async function route(event) {
  document.documentElement.lang = currentLang();
  const [, screen, ...args] = (location.hash || '#/').slice(1).split('/');
  const navigated = event?.type === 'hashchange';
  if (navigated) window.scrollTo(0, 0);
  try {
    const account = await import('./ui/account.js');
    if (screen === 'wilayah') await renderRegionPicker(app, navigate);
    else if (screen === 'daftar') account.renderEnroll(app, navigate);
    else if (screen === 'kode') account.renderCode(app, navigate);
    else if (screen === 'masuk') account.renderSignIn(app, navigate);
    else if (screen === 'perangkat') await account.renderDevices(app, navigate);
    else if (screen === 'akses') await (await import('./ui/access.js')).renderAccess(app);
    else if (screen === 'istilah') await (await import('./ui/glossary.js')).renderGlossary(app);
    else if (screen === 'layanan' && args[1]) await (await import('./ui/service.js')).renderService(app, args[0], args[1]);
    else if (screen === 'layanan' && args[0]) await (await import('./ui/services.js')).renderServices(app, args[0]);
    else if (screen === 'ajukan' && args[1]) await (await import('./ui/form.js')).renderForm(app, args[0], args[1], args[2]);
    else if (screen === 'permohonan') await (await import('./ui/drafts.js')).renderDraftList(app);
    else if (screen === 'draf' && args[0]) await (await import('./ui/drafts.js')).renderDraft(app, args[0]);
    else if (screen === 'kotak-masuk') await (await import('./ui/inbox.js')).renderInbox(app);
    else if (screen === 'nomor' && args[0]) await (await import('./ui/inbox.js')).renderNomor(app, decodeURIComponent(args.join('/')));
    else if (screen === 'dompet') await (await import('./ui/wallet.js')).renderWallet(app);
    else if (screen === 'ekspor') await (await import('./ui/exporter.js')).renderExport(app);
    else if (screen === 'petugas') await (await import('./ui/officer.js')).renderOfficer(app, args);
    else renderHome();
  } catch (err) {
    console.error(err);
    app.replaceChildren(h('h1', {}, t('error.title')), h('p', { class: 'card' }, t('error.screen')),
      h('p', {}, h('a', { href: '#/' }, t('error.home'))));
  }
  if (navigated) arrived();
}

onConnection(showNetwork);
window.addEventListener('hashchange', route);
showNetwork();
route();
if (currentLang() !== 'id') loadCatalog().then(() => { showNetwork(); route(); });
// who is signed in, checked quietly when online; the device's copy serves offline. The same
// request tells the header whether the server answers, and is tried again while it does not.
setProbe(() => refreshAccount());
refreshAccount().then(() => {
  if (!location.hash || location.hash === '#/') renderHome();
  if (lastAccountId()) warmDeferred(); // also when the session came from another tab or an officer's hand-over
});

// Drafts sync whenever the app is open and someone has used it on this device; signing in
// (again) restarts it at once. PouchDB loads only then, after the first paint.
function startSync(force) {
  if (!lastAccountId()) return;
  import('./data/sync.js').then((sync) => sync.startSync({ force })).catch((err) => console.error(err));
  // photos of submitted drafts go up on their own, resumably (data/uploads.js)
  import('./data/uploads.js').then((uploads) => uploads.startUploads()).catch((err) => console.error(err));
  // documents issued for the person's applications come down once, to open offline later
  import('./data/serverfiles.js').then((files) => files.startServerFiles()).catch((err) => console.error(err));
  warmDeferred();
}

// What pwa/build.mjs leaves out of the install-time precache is fetched once a person uses the
// app on this device, while online and idle, so photos, export, the inbox and (for officers) the
// officer screens work offline later; the service worker keeps them.
function warmDeferred() {
  if (!navigator.onLine) return;
  const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 2000));
  idle(() => {
    const parts = [import('./data/compress.js').then((m) => m.warm()), import('./ui/exporter.js'), import('./ui/inbox.js'),
      import('./ui/notify.js')];
    if (rememberedAccount()?.roles?.includes('field_officer')) parts.push(import('./ui/officer.js'));
    Promise.all(parts).catch(() => {}); // offline again or a new version: the next start tries again
  });
}
window.addEventListener('mpp:signed-in', () => { startSync(true); refreshAccount().catch(() => {}); }); // the account's own details too
window.addEventListener('online', () => { if (lastAccountId()) warmDeferred(); });
window.addEventListener('mpp:signed-out', () => { if (!location.hash || location.hash === '#/') renderHome(); });
startSync(false);
registerServiceWorker(document.getElementById('update'));
