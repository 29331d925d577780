"""A person hears of a revision without opening the app: after their first submission the phone
offers notifications and subscribes (the browser's push service is played by a local one: the
subscription carries its address and a key pair this test holds); an agency operator asks, in
the back office, for a change; the worker sends an encrypted, VAPID-signed message that decrypts
to that application's revision notice with no personal data; and the in-app inbox, built from
the replicated status docs, shows it unread."""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.test_assisted import residents_from
from tests.e2e.test_drafts_sync import (  # noqa: F401  (fixtures)
    REGION, SERVER_WAIT_MS, SERVICE, TRACKING, enrol, fill_ktp_form, phone, pull_catalog, wait_for_state, worker,
)
from tests.e2e.test_offline_shell import visit_until_controlled
from tests.e2e.test_sip_flow import act, office_page
from tests.support.pushstub import PushService, Subscriber, vapid_claims

NOTE = "Foto KTP lama tidak terbaca; unggah ulang yang jelas."

# The page's PushManager hands out the subscription this test made (headless Chromium has no
# push service of its own); everything after it — the offer, the permission, the POST — is the app's.
FAKE_PUSH_MANAGER = """
(() => {
  const made = %s;
  let current = null;
  PushManager.prototype.subscribe = async function (options) {
    current = {
      endpoint: made.endpoint, expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: options.applicationServerKey },
      toJSON() { return made; },
      async unsubscribe() { current = null; return true; },
    };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


@pytest.fixture(scope="module")
def person(live_server):
    found = residents_from(live_server, REGION, 14, 1)
    assert len(found) == 1, "the demo register should hold families in 21.71"
    return found[0]


def test_an_operators_revision_request_reaches_the_subscribed_phone_encrypted_and_the_inbox_shows_it(
        phone, browser, live_server, worker, person):
    context, page = phone
    base = live_server.url
    with PushService() as service:
        handset = Subscriber(service.endpoint())
        context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(handset.subscription()))

        visit_until_controlled(page, base)
        enrol(page, base, person)
        pull_catalog(page, base)
        page.goto(f"{base}/#/ajukan/{REGION}/{SERVICE}")
        fill_ktp_form(page, person)
        page.get_by_role("button", name="Kirim", exact=True).click()

        # -- the offer comes after the first submission; the person allows notifications
        offer = page.locator("#push-offer")
        expect(offer).to_contain_text("Izinkan notifikasi agar Anda tahu")
        context.grant_permissions(["notifications"], origin=base)
        offer.get_by_role("button", name="Aktifkan notifikasi").click()
        expect(offer).to_contain_text("Notifikasi aktif di perangkat ini")
        tracking = re.search(TRACKING, wait_for_state(page, "received")).group(0)

        # -- the operator asks for a change
        office_context, office = office_page(browser, live_server, "disdukcapil")
        try:
            act(office, base, tracking, "request_revision", "Minta perbaikan", {"#note-request_revision": NOTE})
        finally:
            office_context.close()

        # -- the push service gets it, for this phone only, encrypted and signed
        deadline = time.monotonic() + SERVER_WAIT_MS / 1000
        while time.monotonic() < deadline and not any(handset.decrypt(r)["s"] == "needs_revision"
                                                      for r in service.delivered_to(handset.endpoint)):
            time.sleep(0.2)
        got = service.delivered_to(handset.endpoint)
        messages = [handset.decrypt(r) for r in got]
        revision = next((m for m in messages if m["s"] == "needs_revision"), None)
        assert revision is not None, f"no revision notice reached the push service: {messages}"
        assert revision == {"n": tracking, "s": "needs_revision", "title": "Permohonan perlu diperbaiki",
                            "body": f"Permohonan {tracking} perlu Anda perbaiki. Buka aplikasi untuk melihat catatan petugas."}
        received = got[[m["s"] for m in messages].index("needs_revision")]
        assert received.headers["urgency"] == "high"
        claims = vapid_claims(received, handset.endpoint)
        assert claims["sub"] == live_server.env["VAPID_SUBJECT"] and claims["k"] == live_server.env["VAPID_PUBLIC_KEY"]
        assert claims["exp"] <= time.time() + 24 * 3600
        plain = json.dumps(messages, ensure_ascii=False)
        for personal in (person.nik, person.full_name, NOTE):
            assert personal not in plain, "a push message carries no personal data and no operator's note"

        # -- the inbox shows it, unread, from the status doc the phone replicated
        wait_for_state(page, "needs_revision")
        page.goto(f"{base}/#/kotak-masuk")
        newest = page.locator("#inbox li").first
        expect(newest).to_have_attribute("data-unread", "true")
        expect(newest).to_contain_text(tracking)
        expect(newest).to_contain_text(NOTE)
