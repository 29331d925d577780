"""The installable shell: after one visit the app opens with no network; updates wait for a tap."""

from __future__ import annotations

import shutil

import pytest

from sync.embedded import free_port
from tests.e2e.conftest import ARGS, CHROMIUM
from tests.support.env import app_env, sqlite_url
from tests.support.live import LiveServer

WAIT_FOR_CONTROL = """async () => {
  const reg = await navigator.serviceWorker.ready;
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, {once: true}));
  }
  return reg.active.state;
}"""


def visit_until_controlled(page, url: str) -> None:
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # the first visit installs; from the second one on, the worker controls the page
    assert page.evaluate(WAIT_FOR_CONTROL) == "activated"


def test_the_shell_opens_offline_after_one_visit(page, context, live_server):
    visit_until_controlled(page, live_server.url)
    page.wait_for_selector("#offline-ready")

    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#offline-ready")
    assert page.locator("h1").inner_text() == "MPP Digital"
    assert "Tanpa sinyal" in page.locator("#net").inner_text()
    # the shell really came from the service worker's cache, not the network
    assert page.evaluate("performance.getEntriesByType('navigation')[0].workerStart > 0")
    # and the service worker never answers for non-GET requests: a POST offline fails
    assert page.evaluate("fetch('/healthz', {method: 'POST'}).then(() => 'answered', () => 'network error')") == "network error"


def test_english_is_fetched_when_chosen_and_then_works_offline(page, context, live_server):
    """The English catalog is not in the install-time precache; choosing it fetches it once."""
    from playwright.sync_api import expect

    visit_until_controlled(page, live_server.url)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="See the list of services")).to_be_visible()
    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("link", name="See the list of services")).to_be_visible()
    page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(page.get_by_role("link", name="Lihat daftar layanan")).to_be_visible()


def test_the_app_is_installable(playwright, live_server, tmp_path):
    # a persistent profile: Chromium always reports "in-incognito" for a throw-away context
    ctx = playwright.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM, args=ARGS)
    try:
        page = ctx.new_page()
        visit_until_controlled(page, live_server.url)
        cdp = ctx.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        ctx.close()


@pytest.fixture
def own_server(couch, tmp_path):
    """A server over a copy of the built PWA, so the test can publish a new version of it."""
    from server.settings import ROOT

    dist = tmp_path / "dist"
    shutil.copytree(ROOT / "pwa" / "dist", dist)
    port = free_port()
    env = app_env(sqlite_url(tmp_path), couch, tmp_path, origin=f"http://localhost:{port}")
    server = LiveServer({**env, "MPP_PWA_DIR": str(dist)}, port).start(tmp_path / "server.log")
    yield server, dist
    server.stop()


def test_a_new_version_waits_until_the_person_taps_perbarui(page, own_server):
    server, dist = own_server
    visit_until_controlled(page, server.url)
    first = page.evaluate("navigator.serviceWorker.controller.scriptURL") and page.evaluate(
        "navigator.serviceWorker.getRegistration().then(r => r.active && r.active.state)")
    assert first == "activated"
    assert page.locator("#update").is_hidden()

    sw = dist / "sw.js"
    sw.write_text(sw.read_text() + "\n// next version\n")
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")

    banner = page.locator("#update")
    banner.wait_for(state="visible")
    assert banner.inner_text().startswith("Versi baru tersedia —")
    # still the old worker in charge until the tap
    assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => !!r.waiting)")

    with page.expect_navigation():
        banner.get_by_role("button", name="Perbarui").click()
    page.wait_for_selector("#offline-ready")
    assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => !r.waiting && r.active.state)") == "activated"
    assert page.locator("#update").is_hidden()
