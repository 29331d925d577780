// "Kotak masuk" (`#/kotak-masuk`): every change of state of the person's applications, from the
// status docs sync brings, newest first, unread ones marked; and `#/nomor/<tracking number>`,
// where a tapped notification or inbox entry leads (the draft, or "Permohonan saya").
import { t } from '../i18n.js';
import { lastAccountId } from '../data/me.js';
import { loadInbox, markEntriesRead, onInboxChange, trackingTarget } from '../data/inbox.js';
import { isUnread } from '../data/inboxstate.js';
import { h } from './dom.js';
import { formatTime } from './time.js';

const NOMOR_WAIT_MS = 8000; // a push can arrive before sync brings its status doc

function stateText(entry) {
  const key = `state.${entry.state}`;
  const text = t(key, { tracking: entry.tracking || '' });
  return text === key ? entry.state : text;
}

/** Follow status docs and read marks until `el` leaves the page. */
function follow(el, fn) {
  let timer = null;
  const off = onInboxChange(() => {
    if (!el.isConnected) { off(); return; }
    clearTimeout(timer);
    timer = setTimeout(() => { if (el.isConnected) fn(); else off(); }, 150);
  });
}

/** The home card's "Kotak masuk" link gets its unread count once PouchDB is in, and follows changes. */
export function showUnread(link) {
  if (!lastAccountId()) return;
  const fill = () => loadInbox().then(({ unread }) => {
    link.textContent = unread ? t('inbox.title_unread', { n: unread }) : t('inbox.title');
    link.dataset.unread = String(unread);
  }).catch(console.error);
  fill();
  follow(link, fill);
}

export async function renderInbox(app) {
  if (!lastAccountId()) {
    app.replaceChildren(h('h1', {}, t('inbox.title')), h('p', { class: 'card' }, t('drafts.no_account'), ' ',
      h('a', { href: '#/masuk' }, t('signin.title'))));
    return;
  }
  const list = h('ul', { class: 'plain inbox', id: 'inbox' });
  const summary = h('p', { class: 'muted', id: 'inbox-summary', role: 'status' });
  const allRead = h('button', { type: 'button', class: 'secondary', id: 'inbox-all-read', onclick: async () => {
    allRead.disabled = true;
    try { await markEntriesRead(); } finally { allRead.disabled = false; }
  } }, t('inbox.mark_all'));
  const root = h('div', {}, h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, t('error.home'))),
    h('h1', {}, t('inbox.title')), h('p', { class: 'muted' }, t('inbox.explain')), summary,
    h('section', { class: 'card' }, list), h('p', {}, allRead));
  const fill = async () => {
    const { entries, read, unread } = await loadInbox();
    summary.textContent = unread ? t('inbox.unread', { n: unread }) : t('inbox.none_unread');
    allRead.hidden = !unread;
    if (!entries.length) {
      list.replaceChildren(h('li', {}, t('inbox.empty')));
      return;
    }
    list.replaceChildren(...entries.map((e) => {
      const unreadNow = isUnread(e, read);
      return h('li', { class: unreadNow ? 'unread' : null, 'data-entry': e.key, 'data-unread': String(unreadNow) },
        h('a', { href: e.tracking ? `#/nomor/${encodeURIComponent(e.tracking)}` : '#/permohonan', onclick: () => {
          markEntriesRead([e.key]).catch(console.error); // localStorage: done before the next screen reads it
        } },
        unreadNow ? h('span', { class: 'dot', 'aria-label': t('inbox.new') }) : null,
        h('strong', {}, stateText(e))),
        h('br'),
        h('small', { class: 'muted' }, [e.tracking && !stateText(e).includes(e.tracking) ? e.tracking : null, formatTime(e.at)].filter(Boolean).join(' · ')),
        e.note ? h('p', { class: 'note' }, e.note) : null);
    }));
  };
  app.replaceChildren(root);
  await fill();
  follow(root, fill);
  // status docs come with sync; start it if the home screen has not
  import('../data/sync.js').then((sync) => sync.startSync()).catch(console.error);
}

/** `#/nomor/<n>`: open the application with this tracking number, waiting a little for sync to bring it. */
export async function renderNomor(app, n) {
  if (!lastAccountId()) {
    await renderInbox(app);
    return;
  }
  const go = (hash) => location.replace(hash); // #/nomor/<n> leaves the history: Back skips it
  let target = await trackingTarget(n);
  if (target) { go(target); return; }
  const waiting = h('p', { class: 'card', role: 'status', id: 'nomor-wait' }, t('inbox.loading', { n }));
  app.replaceChildren(h('h1', {}, t('inbox.title')), waiting);
  if (navigator.onLine) {
    const sync = await import('../data/sync.js');
    sync.syncNow();
    target = await new Promise((resolve) => {
      const done = (value) => { clearTimeout(timer); off(); resolve(value); };
      const timer = setTimeout(() => done(null), NOMOR_WAIT_MS);
      const off = onInboxChange(() => trackingTarget(n).then((found) => { if (found) done(found); }).catch(console.error));
    });
    if (!waiting.isConnected) return; // the person went elsewhere meanwhile
    if (target) { go(target); return; }
  }
  history.replaceState(null, '', '#/permohonan');
  const { renderDraftList } = await import('./drafts.js');
  await renderDraftList(app);
  app.querySelector('h1')?.after(h('p', { class: 'card msg', role: 'alert', id: 'nomor-missing' },
    t(navigator.onLine ? 'inbox.not_found' : 'inbox.not_found_offline', { n })));
}
