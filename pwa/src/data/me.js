// Who uses this device, as the device remembers it. `me` is the signed-in account and goes
// away when the server says the session ended; `lastAccountId` stays, so the person's drafts
// remain on screen and editable offline and after a session expires (sign in again to send).
const ME_KEY = 'me';
const LAST_KEY = 'lastAccountId';

export function rememberedAccount() {
  try {
    return JSON.parse(localStorage.getItem(ME_KEY) || 'null');
  } catch {
    return null;
  }
}

export function lastAccountId() {
  return rememberedAccount()?.id || localStorage.getItem(LAST_KEY) || null;
}

/** Keep (or forget) the signed-in account; a change announces itself (`mpp:signed-in` / `mpp:signed-out`). */
export function remember(account) {
  if (account) {
    const before = rememberedAccount();
    localStorage.setItem(ME_KEY, JSON.stringify(account));
    if (account.id) localStorage.setItem(LAST_KEY, account.id);
    if (before?.id !== account.id) window.dispatchEvent(new CustomEvent('mpp:signed-in', { detail: account }));
  } else {
    const before = rememberedAccount();
    localStorage.removeItem(ME_KEY);
    if (before) window.dispatchEvent(new CustomEvent('mpp:signed-out'));
  }
}

/** Deliberate sign-out ("Keluar"): the next person on a shared phone sees no one's drafts. They
 *  stay stored in that account's own database and come back when the same account signs in. */
export function forgetDevice() {
  remember(null);
  localStorage.removeItem(LAST_KEY);
}

/** The most docs this account's database may hold, as `/api/identity/me` last said (null: not known yet). */
export function docBudget(accountId = lastAccountId()) {
  const n = Number(localStorage.getItem(`docBudget:${accountId}`));
  return Number.isInteger(n) && n > 0 ? n : null;
}

export function rememberBudget(accountId, budget) {
  if (accountId && Number.isInteger(budget)) localStorage.setItem(`docBudget:${accountId}`, String(budget));
}
