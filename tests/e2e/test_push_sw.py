"""Push messages in the service worker, delivered through CDP as a push service would deliver them:
one notification per application (a newer message replaces it), a tap that opens the application
by its tracking number, and the inbox built from the status docs alone."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_offline_shell import visit_until_controlled

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "e2e-push-0001"
DRAFT = "3f0c2a4e-1b2c-4d5e-8f90-123456789abc"
FILED = "7d1e0c55-2f3a-4b6c-9d8e-abcdefabcdef"
MINE = "MPP-2171-2026-000123"
OTHER = "MPP-2171-2026-000124"  # filed for the person by a field officer: no draft on the device

NOTIFICATIONS = """async (tag) => {
  const reg = await navigator.serviceWorker.ready;
  const shown = await reg.getNotifications(tag ? { tag } : undefined);
  return shown.map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data, lang: n.lang, icon: n.icon }));
}"""

CLICK = """async (tag) => {
  const [notification] = await self.registration.getNotifications({ tag });
  if (!notification) return false;
  self.dispatchEvent(new NotificationEvent('notificationclick', { notification }));
  return true;
}"""

# What sync would have brought: a draft the person sent from this phone and its status doc, and a
# status doc of an application an officer filed for them. Written straight into the account's PouchDB.
def pouch_url() -> str:
    """PouchDB's browser build as the PWA build names it (content-hashed, under /assets/)."""
    (found,) = (ROOT / "pwa" / "dist" / "assets").glob("pouchdb-*.min.js")
    return f"/assets/{found.name}"


SEED = """async ({ account, docs, pouch }) => {
  localStorage.setItem('lastAccountId', account);
  if (!window.PouchDB) {
    await new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = pouch; s.onload = resolve; s.onerror = reject;
      document.head.append(s);
    });
  }
  const db = new PouchDB('mpp-' + account);
  const results = await db.bulkDocs(docs);
  return results.every((r) => r.ok);
}"""


def seed_docs() -> list[dict]:
    at = "2026-03-02T01:00:00.000Z"
    draft = {
        "_id": f"draft:{DRAFT}", "type": "draft", "service_id": "adminduk-ktp-el", "service_version": 1, "region_code": "21.71",
        "applicant": {"kind": "self"}, "values": {}, "state": "submitted", "submission_id": "11111111-1111-4111-8111-111111111111",
        "created_at": at, "updated_at": at, "submitted_at": at, "client": "mpp-pwa/0.1",
    }
    mine = {
        "_id": f"status:{DRAFT}", "type": "status", "draft_id": f"draft:{DRAFT}", "submission_id": draft["submission_id"],
        "state": "needs_revision", "tracking_number": MINE, "message": "", "errors": {}, "updated_at": "2026-03-03T02:00:00Z",
        "history": [{"at": "2026-03-02T01:00:05Z", "state": "received", "note": ""},
                    {"at": "2026-03-03T02:00:00Z", "state": "needs_revision", "note": "Foto KTP buram."}],
    }
    filed = {
        "_id": f"status:{FILED}", "type": "status", "draft_id": f"draft:{FILED}", "state": "received", "tracking_number": OTHER,
        "region_code": "21.71", "service_id": "adminduk-ktp-el", "assisted_by": "Petugas Uji", "updated_at": "2026-03-02T05:00:00Z",
        "history": [{"at": "2026-03-02T05:00:00Z", "state": "received", "note": ""}],
    }
    return [draft, mine, filed]


class PushService:
    """Plays the push service through CDP: the page's registration id, then deliverPushMessage."""

    def __init__(self, context, page, origin: str):
        self.origin = origin
        self.cdp = context.new_cdp_session(page)
        self.registrations: dict[str, dict] = {}
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._updated)
        self.cdp.send("ServiceWorker.enable")

    def _updated(self, event: dict) -> None:
        for reg in event["registrations"]:
            self.registrations[reg["registrationId"]] = reg

    def registration_id(self, page) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for rid, reg in self.registrations.items():
                if reg["scopeURL"] == self.origin + "/" and not reg.get("isDeleted"):
                    return rid
            page.wait_for_timeout(100)
        raise AssertionError(f"no service worker registration for {self.origin}: {self.registrations}")

    def deliver(self, page, payload: dict | str) -> None:
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self.cdp.send("ServiceWorker.deliverPushMessage",
                      {"origin": self.origin, "registrationId": self.registration_id(page), "data": data})


def shown(page, tag: str | None, count: int) -> list[dict]:
    """The notifications with this tag, once there are `count` of them (or what there is after 10 s)."""
    deadline = time.monotonic() + 10
    found = page.evaluate(NOTIFICATIONS, tag)
    while len(found) != count and time.monotonic() < deadline:
        page.wait_for_timeout(100)
        found = page.evaluate(NOTIFICATIONS, tag)
    return found


@pytest.fixture
def app(page, context, live_server):
    """The app controlled by its service worker, notifications allowed, and a push service to send with."""
    context.grant_permissions(["notifications"], origin=live_server.url)
    push = PushService(context, page, live_server.url)
    visit_until_controlled(page, live_server.url)
    return push


def test_a_push_message_shows_one_notification_per_application(page, app):
    app.deliver(page, {"n": MINE, "s": "in_review", "title": "Permohonan sedang diperiksa",
                       "body": f"Permohonan {MINE} sedang diperiksa petugas."})
    [first] = shown(page, f"permohonan-{MINE}", 1)
    assert first["title"] == "Permohonan sedang diperiksa"
    assert first["body"] == f"Permohonan {MINE} sedang diperiksa petugas."
    assert first["data"] == {"n": MINE, "s": "in_review"}
    assert first["lang"] == "id" and first["icon"].endswith("/icons/icon-192.png")

    # a newer message about the same application replaces it
    app.deliver(page, {"n": MINE, "s": "needs_revision", "title": "Permohonan perlu perbaikan", "body": "Foto KTP buram."})
    deadline = time.monotonic() + 10
    while shown(page, f"permohonan-{MINE}", 1)[0]["title"] != "Permohonan perlu perbaikan" and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    [latest] = shown(page, f"permohonan-{MINE}", 1)
    assert latest["title"] == "Permohonan perlu perbaikan" and latest["body"] == "Foto KTP buram."
    # another application gets its own; a message the worker cannot read still shows something
    app.deliver(page, {"n": OTHER, "s": "received", "title": "Permohonan diterima", "body": "Nomor permohonan " + OTHER})
    app.deliver(page, "bukan json")
    everything = shown(page, None, 3)
    assert sorted(n["tag"] for n in everything) == ["", f"permohonan-{MINE}", f"permohonan-{OTHER}"]
    generic = next(n for n in everything if not n["tag"])
    assert generic["title"] == "MPP Digital" and generic["body"] == "Ada kabar baru tentang permohonan Anda"


def test_tapping_a_notification_opens_the_application(page, context, app, live_server):
    assert page.evaluate(SEED, {"account": ACCOUNT, "docs": seed_docs(), "pouch": pouch_url()})
    worker = context.service_workers[0]

    # the person's own draft: the draft page, with #/nomor/<n> gone from the history
    page.goto(live_server.url + "/#/permohonan")
    app.deliver(page, {"n": MINE, "s": "needs_revision", "title": "Permohonan perlu perbaikan", "body": "Foto KTP buram."})
    assert len(shown(page, f"permohonan-{MINE}", 1)) == 1
    assert worker.evaluate(CLICK, f"permohonan-{MINE}")
    page.wait_for_url(f"**/#/draf/{DRAFT}")
    expect(page.locator("#tracking")).to_contain_text(MINE)
    assert shown(page, f"permohonan-{MINE}", 0) == [], "the tapped notification is closed"
    page.go_back()
    page.wait_for_url("**/#/permohonan")

    # filed by a field officer: no draft here, so "Permohonan saya", where it is listed
    app.deliver(page, {"n": OTHER, "s": "received", "title": "Permohonan diterima", "body": OTHER})
    assert len(shown(page, f"permohonan-{OTHER}", 1)) == 1
    page.goto(live_server.url + "/#/")
    assert worker.evaluate(CLICK, f"permohonan-{OTHER}")
    page.wait_for_url("**/#/permohonan")
    expect(page.locator(f'[data-assisted="{FILED}"]')).to_be_visible()

    # not synced yet and no signal: the list, saying so
    context.set_offline(True)
    page.goto(live_server.url + "/#/nomor/MPP-2171-2026-999999")
    expect(page.locator("#nomor-missing")).to_contain_text("MPP-2171-2026-999999")
    assert page.url.endswith("#/permohonan")


def test_the_inbox_lists_every_change_of_state_and_remembers_what_was_read(page, app, live_server):
    assert page.evaluate(SEED, {"account": ACCOUNT, "docs": seed_docs(), "pouch": pouch_url()})
    page.goto(live_server.url + "/#/")
    expect(page.locator("#home-inbox")).to_have_text("Kotak masuk (3)")

    page.locator("#home-inbox").click()
    entries = page.locator("#inbox li")
    expect(entries).to_have_count(3)
    expect(entries.nth(0)).to_contain_text("Perlu perbaikan")
    expect(entries.nth(0)).to_contain_text("Foto KTP buram.")
    expect(entries.nth(1)).to_contain_text(OTHER)
    expect(page.locator("#inbox li.unread")).to_have_count(3)

    entries.nth(0).get_by_role("link").click()
    page.wait_for_url(f"**/#/draf/{DRAFT}")
    page.go_back()
    page.wait_for_url("**/#/kotak-masuk")
    expect(page.locator("#inbox li.unread")).to_have_count(2)
    expect(page.locator("#inbox-summary")).to_have_text("2 belum dibaca")

    page.get_by_role("button", name="Tandai semua sudah dibaca").click()
    expect(page.locator("#inbox li.unread")).to_have_count(0)
    page.reload()
    expect(page.locator("#inbox li")).to_have_count(3)
    expect(page.locator("#inbox li.unread")).to_have_count(0)

    # a later change of state of an application read before is unread
    page.evaluate("""async (account) => {
      const db = new PouchDB('mpp-' + account);
      const doc = await db.get('status:7d1e0c55-2f3a-4b6c-9d8e-abcdefabcdef');
      doc.history.push({ at: '2026-03-04T03:00:00Z', state: 'in_review', note: '' });
      doc.state = 'in_review';
      await db.put(doc);
    }""", ACCOUNT)
    page.goto(live_server.url + "/#/")
    expect(page.locator("#home-inbox")).to_have_text("Kotak masuk (1)")


@pytest.fixture(scope="module")
def citizen(live_server):
    from tests.e2e.test_assisted import residents_from
    from tests.e2e.test_drafts_sync import REGION

    # past the ones other e2e tests enrol (drafts_sync and photos 1–4, assisted 6–8, sip_flow 12, push_flow 14)
    found = residents_from(live_server, REGION, 16, 1)
    assert len(found) == 1, "the demo register should hold families in 21.71"
    return found[0]


def test_notifications_are_offered_after_the_first_submission_and_failures_are_shown(browser, live_server, citizen):
    """Headless Chromium has no push service: subscribing fails at once, and the person reads why."""
    from tests.e2e.test_drafts_sync import REGION, SERVICE, enrol, fill_ktp_form, pull_catalog
    from tests.e2e.test_identity import add_authenticator

    context = browser.new_context(locale="id-ID")
    try:
        page = context.new_page()
        add_authenticator(context, page)
        base = live_server.url
        visit_until_controlled(page, base)
        enrol(page, base, citizen)
        pull_catalog(page, base)
        page.goto(f"{base}/#/ajukan/{REGION}/{SERVICE}")
        expect(page.locator("#push-offer")).to_have_count(0)  # never before a submission
        fill_ktp_form(page, citizen)
        page.get_by_role("button", name="Kirim", exact=True).click()
        offer = page.locator("#push-offer")
        expect(offer).to_contain_text("Izinkan notifikasi agar Anda tahu saat permohonan Anda berubah status")

        context.grant_permissions(["notifications"], origin=base)
        offer.get_by_role("button", name="Aktifkan notifikasi").click()
        expect(page.locator("#push-offer-msg")).to_contain_text("Notifikasi belum dapat diaktifkan")
        offer.get_by_role("button", name="Nanti saja").click()
        expect(offer).to_be_hidden()
        assert page.evaluate("localStorage.getItem('push-declined')") == "1"

        # the devices screen: this device's state from the server, and the switch
        page.goto(f"{base}/#/perangkat")
        expect(page.locator("#push-state")).to_have_text("Nonaktif")
        page.locator("#push-toggle").click()
        expect(page.locator("#push-msg")).to_contain_text("Notifikasi belum dapat diaktifkan")
        expect(page.locator("#push-state")).to_have_text("Nonaktif")
    finally:
        context.close()
