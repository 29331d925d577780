"""A dentist's practice licence (SIP) from the phone to the signed PDF: the citizen applies; the
DPMPTSP operator asks, in the back office, for a change; the citizen fixes it with no signal and
sends it again; DPMPTSP passes it on, Dinas Kesehatan approves, the worker issues the signed SIP
within seconds. The PDF's PAdES signature chains to the development CA, its QR target says
"Sah", it opens on the phone with no signal, and the phone saw every status on the way."""

from __future__ import annotations

import hashlib
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.photos import wait_until_ready_offline
from tests.e2e.test_assisted import residents_from
from tests.e2e.test_drafts_sync import (  # noqa: F401  (fixtures)
    REGION, SERVER_WAIT_MS, TRACKING, enrol, phone, pull_catalog, state_of, wait_for_state, worker,
)
from tests.e2e.test_offline_shell import visit_until_controlled
from tests.factories import staff_session

SERVICE = "nakes-sip-dokter-gigi"
NOTED_FIELD = "nama_tempat_praktik"
FIELD_NOTE = "Tulis nama klinik lengkap seperti pada izin fasilitas."
GENERAL_NOTE = "Mohon perbaiki nama tempat praktik."
FIXED_PLACE = "Klinik Gigi Sehat Batam Kota"
EVERY_STATE = ["received", "needs_revision", "resubmitted", "in_review", "approved", "completed"]
KEPT = "Tersimpan di perangkat ini; dapat dibuka tanpa sinyal."
LOCALE = Path(__file__).resolve().parents[2] / "pwa" / "src" / "locales" / "id.json"


@pytest.fixture(scope="module")
def dentist(live_server):
    """A head of family of the stand-in register no other e2e test enrols (they use the lowest ten)."""
    found = residents_from(live_server, REGION, 12, 1)
    assert len(found) == 1, "the demo register should hold families in 21.71"
    return found[0]


def agency_cookie(live_server, agency_kind: str) -> str:
    """A signed-in agency operator of REGION's `agency_kind` agency: the live server's session cookie value."""
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app
    from server.settings import Settings

    settings = Settings.from_env(live_server.env)
    data = staff_session(live_server.env["DATABASE_URL"], "agency_operator", REGION, agency_kind=agency_kind)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(data)  # stored in the session store the live server shares
        return client.cookies["mpp_session"]


def office_page(browser, live_server, agency_kind: str):
    """A desktop browser signed in as an operator of the agency."""
    context = browser.new_context(locale="id-ID")
    context.add_cookies([{"name": "mpp_session", "value": agency_cookie(live_server, agency_kind), "url": live_server.url}])
    return context, context.new_page()


def application_url(base: str, tracking: str) -> str:
    return f"{base}/backoffice/wilayah/{REGION}/permohonan/{tracking}"


def act(office, base: str, tracking: str, action: str, label: str, fill: dict[str, str] | None = None) -> None:
    """On the application's page, open the action's form, fill it, send it, and see it confirmed."""
    office.goto(application_url(base, tracking))
    box = office.locator(f"details#aksi-{action}")
    expect(box).to_have_count(1)
    if box.get_attribute("open") is None:
        box.locator("summary").click()
    for selector, text in (fill or {}).items():
        box.locator(selector).fill(text)
    box.get_by_role("button", name=label).click()
    expect(office.locator(".flash")).to_contain_text(label, timeout=30_000)


def fill_sip_form(page, resident) -> None:
    page.wait_for_selector("[data-field='nomor_str']")
    # NIK and name come from the signed-in account
    expect(page.locator("#f-nik")).to_have_value(resident.nik)
    expect(page.locator("#f-nama_lengkap")).to_have_value(resident.full_name)
    page.fill("#f-nomor_str", "3200000123456789")
    page.select_option("#f-jenis_permohonan", "baru")
    page.select_option("#f-urutan_sip", "1")
    page.select_option("#f-jenis_tempat_praktik", "fasyankes")
    page.fill(f"#f-{NOTED_FIELD}", "Klinik")
    page.fill("#f-alamat_tempat_praktik", "Jl. Engku Putri No. 1, Batam Centre")
    page.select_option("#f-wilayah_tempat_praktik", "21.71.01")  # a kecamatan picked from the region's list
    page.fill("#f-jadwal_praktik", "Senin-Jumat 16.00-20.00")
    page.fill("#f-no_hp", "081234567890")
    expect(page.locator("#saved")).to_contain_text("Tersimpan di perangkat ini")


def state_labels() -> list[tuple[str, str]]:
    """(state, label as the phone shows it), longest label first."""
    messages = json.loads(LOCALE.read_text(encoding="utf-8"))
    labels = [(k[len("state."):], v) for k, v in messages.items() if k.startswith("state.")]
    return sorted(labels, key=lambda kv: -len(kv[1]))


def history_on_device(page, tracking: str) -> list[str]:
    """The states of the status doc's history, read from the draft page's history list
    (`<time> · <state label>[ — <note>]`, drawn from the device's `status:` doc)."""
    labels = [(state, text.replace("{tracking}", tracking)) for state, text in state_labels()]
    found = []
    for line in page.locator("#draft-state details li").all_inner_texts():
        rest = line.split(" · ", 1)[1] if " · " in line else line
        match = next((state for state, text in labels if rest.startswith(text)), None)
        found.append(match or f"?{line}")
    return found


def test_a_sip_goes_from_the_phone_through_two_agencies_to_a_signed_pdf_that_opens_offline(phone, browser, live_server,
                                                                                            worker, dentist):
    context, page = phone
    base = live_server.url

    # -- the citizen applies
    visit_until_controlled(page, base)
    enrol(page, base, dentist)
    pull_catalog(page, base)
    wait_until_ready_offline(page)
    page.goto(f"{base}/#/ajukan/{REGION}/{SERVICE}")
    fill_sip_form(page, dentist)
    page.get_by_role("button", name="Kirim", exact=True).click()
    tracking = re.search(TRACKING, wait_for_state(page, "received")).group(0)
    draft_hash = page.evaluate("location.hash")

    dpmptsp_context, dpmptsp = office_page(browser, live_server, "dpmptsp")
    dinkes_context, dinkes = office_page(browser, live_server, "dinkes")
    try:
        # -- 1. DPMPTSP finds it in its queue and asks for a change on one field
        dpmptsp.goto(f"{base}/backoffice/wilayah/{REGION}/antrian")
        row = dpmptsp.locator(f"tr#p-{tracking}")
        expect(row).to_be_visible()
        row.get_by_role("link", name=tracking).click()
        expect(dpmptsp.locator("h1")).to_contain_text(tracking)
        act(dpmptsp, base, tracking, "request_revision", "Minta perbaikan",
            {f"#n-{NOTED_FIELD}": FIELD_NOTE, "#note-request_revision": GENERAL_NOTE})

        # -- 2. the phone shows the request; the citizen fixes it with no signal
        wait_for_state(page, "needs_revision")
        expect(page.locator(f"[data-note='{NOTED_FIELD}']")).to_contain_text(FIELD_NOTE)
        expect(page.locator("#draft-state")).to_contain_text(GENERAL_NOTE)
        context.set_offline(True)
        page.fill(f"#f-{NOTED_FIELD}", FIXED_PLACE)
        expect(page.locator("#saved")).to_contain_text("Tersimpan di perangkat ini")
        page.get_by_role("button", name="Kirim ulang").click()
        expect(state_of(page)).to_have_attribute("data-state", "waiting_push")
        page.reload()
        expect(state_of(page)).to_have_attribute("data-state", "waiting_push")
        expect(page.locator("#tracking")).to_contain_text(tracking)
        assert page.locator(f"#f-{NOTED_FIELD}").input_value() == FIXED_PLACE
        expect(page.locator("#sync-pending")).to_have_text("1 draf menunggu dikirim")
        context.set_offline(False)
        wait_for_state(page, "resubmitted")

        # -- 3. DPMPTSP passes it on to Dinas Kesehatan
        act(dpmptsp, base, tracking, "pass_on", "Teruskan ke tahap berikutnya")
        wait_for_state(page, "in_review")
        expect(page.locator("#draft-step")).to_contain_text("Tahap 2 dari 3", timeout=SERVER_WAIT_MS)

        # -- 4. Dinas Kesehatan approves; 5. the worker issues the signed SIP
        act(dinkes, base, tracking, "approve", "Setujui")
        wait_for_state(page, "completed")
        output = page.locator("#output")
        expect(output).to_be_visible()
        sha256 = output.get_attribute("data-sha256")
        assert re.fullmatch(r"[0-9a-f]{64}", sha256 or ""), sha256
        verify_url = output.locator("a[href*='/verifikasi/']").get_attribute("href")
        assert verify_url and "/verifikasi/" in verify_url, verify_url
        number = page.locator("#output-number").inner_text().removeprefix("Nomor: ").strip()
        assert number, "the issued SIP has a number"

        cookies = {c["name"]: c["value"] for c in context.cookies(base)}
        answer = httpx.get(f"{base}/blobs/{sha256}", cookies=cookies, timeout=30)
        assert answer.status_code == 200, answer.text[:300]
        pdf = answer.content
        assert hashlib.sha256(pdf).hexdigest() == sha256
        assert_signed_by_development_ca(pdf, Path(live_server.env["MPP_VAR_DIR"]))

        # -- 6. the QR's target says the document is genuine
        dinkes.goto(verify_url if verify_url.startswith("http") else base + verify_url)
        expect(dinkes.locator("main")).to_contain_text(number)
        expect(dinkes.locator(".status-ok")).to_have_text("Sah")

        # -- 7. the phone opens the PDF from its own store, with no signal
        opener = page.locator("[data-testid='open-output']")
        note = opener.locator("xpath=following-sibling::p[1]")
        wait_until_kept(page, note)
        context.set_offline(True)
        page.reload()
        wait_for_state(page, "completed")
        page.evaluate("""() => {
            window.__opened = [];
            const make = URL.createObjectURL.bind(URL);
            URL.createObjectURL = (blob) => { window.__opened.push(blob); return make(blob); };
        }""")
        with context.expect_page(timeout=30_000) as popup:
            opener.click()
        tab = popup.value
        assert tab.url.startswith("blob:"), tab.url
        expect(note).to_have_text(KEPT)
        expect(page.get_by_text("Dokumen akan tersedia setelah tersambung")).to_have_count(0)
        opened = page.evaluate("""async () => Promise.all(window.__opened.map(async (blob) => {
            const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
            return { type: blob.type, sha: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('') };
        }))""")
        assert opened == [{"type": "application/pdf", "sha": sha256}], opened

        # -- 8. the phone saw every status change, in order
        assert page.evaluate("location.hash") == draft_hash
        page.locator("#draft-state details summary").click()
        assert history_on_device(page, tracking) == EVERY_STATE
        context.set_offline(False)
    finally:
        dpmptsp_context.close()
        dinkes_context.close()


def wait_until_kept(page, note) -> None:
    """Until the device holds the issued PDF. The app fetches it by itself once the status doc
    arrives; the line under "Buka dokumen" is worked out when the card is drawn, so redraw it."""
    deadline = time.monotonic() + SERVER_WAIT_MS / 1000
    while True:
        page.reload()
        wait_for_state(page, "completed")
        try:
            expect(note).to_have_text(KEPT, timeout=3_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def assert_signed_by_development_ca(pdf: bytes, var_dir: Path) -> None:
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from server.outputs.signing import DevelopmentSigner

    ca = x509.Certificate.load(pem.unarmor(DevelopmentSigner(var_dir).ca_certificate_pem())[2])
    (signature,) = PdfFileReader(BytesIO(pdf)).embedded_signatures
    # pyHanko's sync API runs its own event loop, which Playwright's sync API already holds here
    with ThreadPoolExecutor(max_workers=1) as pool:
        status = pool.submit(validate_pdf_signature, signature, ValidationContext(trust_roots=[ca])).result()
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
