"""Drafts on a real phone-sized browser: filled and sent with no signal, kept across a reload,
received by the server once the signal is back; and a request for changes that reopens the
draft, which goes back with the same tracking number."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.test_identity import add_authenticator
from tests.e2e.test_offline_shell import visit_until_controlled
from tests.factories import run, staff_session

REGION = "21.71"
SERVICE = "adminduk-ktp-el"  # five fields, no uploads
TRACKING = r"MPP-\d{4}-\d{4}-\d{6}"
SERVER_WAIT_MS = 90_000  # push, ingest, publish, pull: well under this on one machine
# "Lokasi pengambilan" offers the Disdukcapil's service points of the region's catalog
PLACE = "Mal Pelayanan Publik Kota Batam — Loket Disdukcapil 1"
OTHER_PLACE = "Mal Pelayanan Publik Kota Batam — Loket Disdukcapil 2"


def residents_of(live_server, region: str, count: int):
    """Heads of family of the stand-in register, past the one other tests use (the lowest NIK)."""
    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from identity.registry_models import Resident
    from identity.synthetic import HEAD
    from server.db import make_engine

    async def pick():
        engine = make_engine(live_server.env["DATABASE_URL"])
        try:
            async with AsyncSession(engine) as session:
                query = (select(Resident).where(Resident.regency_code == region, Resident.relationship == HEAD)
                         .order_by(Resident.nik).offset(1).limit(count))
                return list((await session.exec(query)).all())
        finally:
            await engine.dispose()

    return run(pick())


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker(live_server, tmp_path_factory):
    """Ingest and the status publisher for the shared app, as `make run` starts them beside it."""
    log_path = tmp_path_factory.mktemp("drafts-worker") / "worker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "server", "worker"], env={**os.environ, **live_server.env},
                                   cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield log_path
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def residents(live_server):
    found = residents_of(live_server, REGION, 2)
    assert len(found) == 2, "the demo register should hold families in 21.71"
    return found


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    add_authenticator(context, page)
    yield context, page
    context.close()


def enrol(page, base: str, resident) -> None:
    page.goto(base + "/#/daftar")
    page.fill("#nik", resident.nik)
    page.fill("#full_name", resident.full_name)
    page.fill("#birth_date", resident.birth_date.isoformat())
    page.fill("#birth_place", resident.birth_place)
    page.get_by_role("button", name="Cocokkan data dan lanjut").click()
    page.wait_for_selector("#recovery-codes")
    page.get_by_role("button", name="Saya sudah menyimpan kode ini").click()
    expect(page.locator("#account")).to_contain_text("Masuk sebagai")


def pull_catalog(page, base: str) -> None:
    page.goto(base + "/#/wilayah")
    page.locator(f"[data-region='{REGION}']").click()
    page.wait_for_function("document.querySelector('#service-count')?.textContent.includes('layanan')", timeout=30000)


def fill_ktp_form(page, resident) -> None:
    page.wait_for_selector("[data-field='nik']")
    # the NIK comes from the signed-in account and is held to it
    expect(page.locator("#f-nik")).to_have_value(resident.nik)
    expect(page.locator("#f-nik")).to_have_attribute("readonly", "")
    page.select_option("#f-alasan", "hilang")
    page.select_option("#f-lokasi_pengambilan", PLACE)
    page.fill("#f-no_hp", "081234567890")
    expect(page.locator("#saved")).to_contain_text("Tersimpan di perangkat ini")


def state_of(page):
    return page.locator("#draft-state [data-state]")


def wait_for_state(page, state: str) -> str:
    """The draft's label once it reaches `state`; on a timeout, what the sync card said."""
    try:
        expect(state_of(page)).to_have_attribute("data-state", state, timeout=SERVER_WAIT_MS)
    except AssertionError as exc:
        sync = page.locator("#sync").inner_text() if page.locator("#sync").count() else "(no sync card)"
        raise AssertionError(f"draft is '{state_of(page).inner_text()}', not {state}; sync card: {sync!r}") from exc
    return state_of(page).inner_text()


def test_a_draft_sent_offline_survives_a_reload_and_is_received_when_the_signal_returns(phone, live_server, worker, residents):
    context, page = phone
    base = live_server.url
    visit_until_controlled(page, base)
    enrol(page, base, residents[0])
    expect(page.locator("#my-applications")).to_be_visible()
    pull_catalog(page, base)

    context.set_offline(True)
    page.goto(f"{base}/#/ajukan/{REGION}/{SERVICE}")
    fill_ktp_form(page, residents[0])
    # the first answer made the draft; it is addressed by its own id from then on
    assert re.fullmatch(r"#/draf/[0-9a-f-]{36}", page.evaluate("location.hash"))
    page.get_by_role("button", name="Kirim", exact=True).click()
    expect(state_of(page)).to_have_attribute("data-state", "waiting_push")
    expect(state_of(page)).to_have_text("Menunggu dikirim")

    page.reload()
    expect(state_of(page)).to_have_text("Menunggu dikirim")
    assert page.locator("fieldset[disabled]").count() == 1  # sent: read-only
    expect(page.locator("#sync-pending")).to_have_text("1 draf menunggu dikirim")
    assert page.locator("#f-lokasi_pengambilan").input_value() == PLACE

    context.set_offline(False)
    label = wait_for_state(page, "received")
    assert re.fullmatch(rf"Diterima · {TRACKING}", label), label
    expect(page.locator("#sync-pending")).to_have_text("Semua perubahan sudah terkirim")

    page.goto(base + "/#/permohonan")
    item = page.locator("#drafts li").first
    expect(item).to_contain_text("Diterima")
    assert re.search(TRACKING, item.inner_text())


def operator_cookies(live_server) -> dict[str, str]:
    """A signed-in agency operator of the service's agency, as the live server's session cookie."""
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app
    from server.settings import Settings

    settings = Settings.from_env(live_server.env)
    data = staff_session(live_server.env["DATABASE_URL"], "agency_operator", REGION, agency_kind="disdukcapil")
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(data)  # stored in the session store the live server shares
        return {"mpp_session": client.cookies["mpp_session"]}


def test_a_request_for_changes_reopens_the_draft_and_the_resubmission_keeps_its_tracking_number(phone, live_server, worker,
                                                                                                  residents):
    context, page = phone
    base = live_server.url
    visit_until_controlled(page, base)
    enrol(page, base, residents[1])
    pull_catalog(page, base)

    page.goto(f"{base}/#/ajukan/{REGION}/{SERVICE}")
    fill_ktp_form(page, residents[1])
    page.get_by_role("button", name="Kirim", exact=True).click()
    tracking = re.search(TRACKING, wait_for_state(page, "received")).group(0)

    answer = httpx.post(f"{base}/api/wilayah/{REGION}/permohonan/{tracking}/tindakan",
                        json={"action": "request_revision", "note": "Lokasi pengambilan kurang jelas."},
                        cookies=operator_cookies(live_server), timeout=30)
    assert answer.status_code in (200, 201, 204), answer.text

    wait_for_state(page, "needs_revision")
    expect(page.locator("#tracking")).to_contain_text(tracking)
    assert page.locator("fieldset[disabled]").count() == 0  # editable again
    page.select_option("#f-lokasi_pengambilan", OTHER_PLACE)
    expect(page.locator("#saved")).to_contain_text("Tersimpan di perangkat ini")
    page.get_by_role("button", name="Kirim ulang").click()

    wait_for_state(page, "resubmitted")  # the same application, at the same step
    expect(page.locator("#tracking")).to_contain_text(tracking)
