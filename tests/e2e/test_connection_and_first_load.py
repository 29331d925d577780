"""What a person sees of the network: the header follows what requests really do (a phone with
signal and no working internet is not "online"), and a first visit on a slow line shows what is
being downloaded and how much is left, over the list's skeleton."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_drafts_sync import REGION

PHONE = {"width": 360, "height": 740}

# every text the progress line shows, and whether the list's skeleton was there at that moment
RECORD_PROGRESS = """
window.__progress = [];
new MutationObserver(() => {
  const line = document.querySelector('#catalog-progress-text');
  if (line && window.__progress.at(-1)?.text !== line.textContent) {
    window.__progress.push({ text: line.textContent, skeleton: Boolean(document.querySelector('#catalog-skeleton')) });
  }
}).observe(document, { subtree: true, childList: true, characterData: true });
"""


def citizen_context(browser, live_server):
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app
    from server.settings import Settings
    from tests.factories import citizen_session

    settings = Settings.from_env(live_server.env)
    data = citizen_session(live_server.env["DATABASE_URL"], settings.pii_key, nik="2171014107900031", name="WARGA SINYAL")
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(data)
        cookie = client.cookies["mpp_session"]
    context = browser.new_context(locale="id-ID", viewport=PHONE)
    context.add_cookies([{"name": "mpp_session", "value": cookie, "url": live_server.url}])
    return context


def test_signal_without_a_working_server_is_shown_as_such_and_devices_say_why(browser, live_server):
    context = citizen_context(browser, live_server)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        expect(page.locator("#net")).to_have_text("Tersambung")
        expect(page.locator("#account")).to_contain_text("WARGA SINYAL")
        # the browser still says online; every request to the server fails
        context.route("**/api/**", lambda route: route.abort("internetdisconnected"))
        context.route("**/sync/**", lambda route: route.abort("internetdisconnected"))
        assert page.evaluate("navigator.onLine") is True
        page.get_by_role("link", name="Perangkat saya dan cara masuk").click()
        expect(page.locator("#net")).to_have_text("Server tidak terjangkau")
        expect(page.locator("#devices-unavailable")).to_contain_text("server tidak dapat dihubungi")
        expect(page.get_by_text("Layar ini tidak dapat dibuka")).to_have_count(0)
        # the server answers again: the header follows the next answer
        context.unroute("**/api/**")
        context.unroute("**/sync/**")
        page.get_by_role("link", name="Kembali ke beranda").click()
        page.get_by_role("link", name="Perangkat saya dan cara masuk").click()
        expect(page.locator("#net")).to_have_text("Tersambung")
        expect(page.locator("#devices li")).not_to_have_count(0)
    finally:
        context.close()


def test_a_first_visit_on_a_slow_line_shows_what_is_downloaded_and_how_much_is_left(browser, live_server):
    context = browser.new_context(locale="id-ID", viewport=PHONE)
    try:
        page = context.new_page()
        page.add_init_script(RECORD_PROGRESS)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        # about what a 2G phone gets: 300 ms round trips, 20 KB/s down
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 300,
                                                      "downloadThroughput": 20 * 1024, "uploadThroughput": 10 * 1024})
        page.goto(f"{live_server.url}/#/layanan/{REGION}", wait_until="commit")
        expect(page.locator(".skeleton").first).to_be_visible()
        expect(page.locator("#service-count")).to_be_visible(timeout=120_000)
        seen = page.evaluate("window.__progress")
        texts = [s["text"] for s in seen]
        # how much is left: the storage engine's size is known before it arrives, compressed or not
        assert any("Langkah 1 dari 2" in t and re.search(r"\d+ dari \d+ KB", t) for t in texts), texts
        assert any("Langkah 2 dari 2" in t and " dari " in t.split(":", 1)[1] for t in texts), texts
        assert all(s["skeleton"] for s in seen), "the list's skeleton stays while it downloads"
    finally:
        context.close()
