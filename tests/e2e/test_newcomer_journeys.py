"""A newcomer's walks through the app, each from the home page using only visible links and
buttons: a citizen on a 360 px phone, a field officer, an agency operator and a region admin.
Every screen is checked (tests/e2e/journey.py): no horizontal overflow, the first heading in
view after each navigation, error messages in view when shown, axe at 0 violations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.journey import assert_in_view, assert_no_overflow, errors_in_view, screen
from tests.e2e.photos import camera_jpeg
from tests.e2e.test_drafts_sync import REGION, SERVER_WAIT_MS, residents_of, wait_for_state, worker  # noqa: F401  (fixtures)
from tests.e2e.test_identity import add_authenticator
from tests.e2e.test_offline_shell import visit_until_controlled

PHONE = {"width": 360, "height": 740}
RED = "rgb(180, 35, 24)"


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(locale="id-ID", viewport=PHONE)
    page = context.new_page()
    add_authenticator(context, page)
    yield context, page
    context.close()


@pytest.fixture(scope="module")
def newcomer(live_server):
    """A head of family no other e2e test enrols (they take the lowest NIKs)."""
    found = residents_of(live_server, REGION, 20)
    assert len(found) == 20, "the demo register should hold families in 21.71"
    return found[-1]


def tap(page, name: str, role: str = "link", exact: bool = True):
    target = page.get_by_role(role, name=name, exact=exact).first
    expect(target).to_be_visible()
    target.scroll_into_view_if_needed()
    target.click()


def test_a_citizen_on_a_small_phone_finds_everything_by_tapping(small_phone, live_server, worker, newcomer):
    context, page = small_phone
    base = live_server.url
    visit_until_controlled(page, base)

    # -- home: nothing focused with a frame on load, the services first
    expect(page.locator("#offline-ready")).to_be_visible()
    assert page.evaluate("document.activeElement === document.body"), "no element (and no frame) is focused on load"
    screen(page, "home")
    expect(page.locator("#net")).to_have_text("Tersambung")
    page.get_by_role("link", name="Arti istilah di aplikasi ini").click()
    screen(page, "glossary")
    expect(page.locator("#istilah-passkey")).to_contain_text("Kunci layar")
    tap(page, "Kembali ke beranda")

    # -- enrolment: a mistake is marked where it is
    tap(page, "Daftar")
    screen(page, "enrol")
    tap(page, "Cocokkan data dan lanjut", role="button")
    expect(page.locator("#enroll-form .field.invalid")).to_have_count(4)
    errors_in_view(page, "#enroll-form .msg", "enrol without answers")
    assert page.locator("#nik").evaluate("(el) => getComputedStyle(el).borderTopColor") == RED
    assert page.locator("#nik").get_attribute("aria-invalid") == "true"
    page.fill("#nik", newcomer.nik)
    page.fill("#full_name", newcomer.full_name)
    page.fill("#birth_date", newcomer.birth_date.isoformat())
    page.fill("#birth_place", newcomer.birth_place)
    page.fill("#phone", "081234567890")
    tap(page, "Cocokkan data dan lanjut", role="button")

    # -- recovery codes: to print, save or copy, not to copy by hand
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    screen(page, "recovery codes")
    expect(page.get_by_role("button", name="Cetak")).to_be_visible()
    with page.expect_download() as saved:
        page.get_by_role("button", name="Simpan sebagai berkas").click()
    text = saved.value.path().read_text(encoding="utf-8")
    assert all(code in text for code in page.locator("#recovery-codes code").all_inner_texts())
    tap(page, "Saya sudah menyimpan kode ini", role="button")

    # -- signed in: the services are on the first screen; every place has a way back home
    expect(page.locator("#account")).to_contain_text("Masuk sebagai")
    assert_in_view(page.locator("#home-services"), "Lihat daftar layanan")
    for link, heading in (("Permohonan saya", "Permohonan saya"), ("Siapa yang mengakses data saya", "Siapa yang mengakses data saya"),
                          ("Perangkat saya dan cara masuk", "Perangkat saya")):
        tap(page, link)
        expect(page.locator("h1")).to_have_text(heading)
        screen(page, heading)
        tap(page, "Kembali ke beranda")
        expect(page.locator("#home-services")).to_be_visible()

    # -- the list of services; one near its end opens at its top, with what to prepare
    tap(page, "Lihat daftar layanan")
    page.locator(f"[data-region='{REGION}']").click()
    expect(page.locator("#service-count")).to_contain_text("layanan tersedia")
    screen(page, "services")
    last = page.locator("[data-service]").last
    last.scroll_into_view_if_needed()
    assert page.evaluate("scrollY") > 1000
    last.click()
    expect(page.locator("#apply")).to_be_visible()
    assert page.evaluate("scrollY") == 0
    screen(page, "a service near the end of the list")
    tap(page, "Kembali ke daftar layanan")
    page.locator("[data-service='adminduk-ktp-el']").click()
    kk = page.locator("#service-requirements [data-requirement='kk']")
    expect(kk).to_contain_text("tidak perlu diunggah")
    expect(kk.locator("[data-bring='kk']")).to_contain_text("Bawa aslinya")
    expect(page.locator("#service-places")).to_contain_text("Loket Disdukcapil 1")
    expect(page.locator("#service-facts")).to_contain_text("1 hari kerja")
    screen(page, "KTP-el service page")

    # -- the form: the person's own NIK, what to prepare first, errors that follow the answers
    tap(page, "Ajukan permohonan")
    expect(page.locator("#f-nik")).to_have_value(newcomer.nik)
    expect(page.locator("#f-nik")).to_have_attribute("readonly", "")
    expect(page.locator("#f-no_hp")).to_have_value("081234567890")
    assert page.locator("#requirements-box").evaluate(
        "(box) => Boolean(box.compareDocumentPosition(document.querySelector('#draft-form')) & Node.DOCUMENT_POSITION_FOLLOWING)")
    screen(page, "KTP-el form")
    tap(page, "Kirim", role="button")
    expect(page.locator("#form-check")).to_have_text("Masih ada 2 isian yang perlu diperbaiki.")
    errors_in_view(page, "#draft-form .field .msg", "KTP-el form sent empty")
    assert page.locator("#f-alasan").evaluate("(el) => getComputedStyle(el).borderTopColor") == RED
    page.select_option("#f-alasan", "hilang")
    expect(page.locator("#form-check")).to_have_text("Masih ada 1 isian yang perlu diperbaiki.")
    page.select_option("#f-lokasi_pengambilan", index=1)
    expect(page.locator("#form-check")).to_contain_text("Semua isian sudah benar")
    place = page.locator("#f-lokasi_pengambilan").input_value()

    # -- sent with no signal, received once it is back, then where to go and what to bring
    context.set_offline(True)
    expect(page.locator("#net")).to_have_text("Tanpa sinyal")
    tap(page, "Kirim", role="button")
    wait_for_state(page, "waiting_push")
    context.set_offline(False)
    wait_for_state(page, "received")
    visit = page.locator("#visit")
    expect(visit).to_contain_text(place)
    expect(visit.locator("#visit-bring")).to_contain_text("KTP-el asli")
    expect(visit.locator("[data-bring='kk']")).to_contain_text("Kartu Keluarga")
    screen(page, "received application")

    # -- a big photo keeps the screen its width, and "Kirim" stays reachable
    tap(page, "Kembali ke Permohonan saya")
    tap(page, "Kembali ke beranda")
    tap(page, "Lihat daftar layanan")
    page.locator("[data-service='nakes-sip-dokter-gigi']").click()
    tap(page, "Ajukan permohonan")
    expect(page.locator("#f-wilayah_tempat_praktik option[value='21.71.01']")).to_have_count(1)
    assert not page.locator("#f-wilayah_tempat_praktik option[value='21.71.01']").inner_text().startswith("21")
    file_input = page.locator("#f-berkas_pas_foto")
    assert not file_input.is_visible(), "the native file control is hidden behind the app's own button"
    file_input.set_input_files(files=[{"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg(page, 2400, 1800, 3)}])
    expect(page.locator("[data-file-preview='berkas_pas_foto'] img")).to_be_visible()
    expect(page.locator("[data-file-pick='berkas_pas_foto']")).to_have_text("Ganti berkas")
    assert_no_overflow(page, "SIP form with a 2400×1800 photo")
    submit = page.locator("#submit")
    submit.scroll_into_view_if_needed()
    assert_in_view(submit, "Kirim after a photo")
    page.evaluate("document.querySelector('#submit').disabled = true")
    assert float(submit.evaluate("(el) => getComputedStyle(el).opacity")) < 1, "a disabled button looks disabled"
    page.evaluate("document.querySelector('#submit').disabled = false")
    assert_accessible(page, "SIP form with a photo")

    # -- in English: one working day, and Indonesian catalog text marked as such
    tap(page, "Kembali ke keterangan layanan")
    tap(page, "Kembali ke daftar layanan")
    tap(page, "Kembali ke beranda")
    tap(page, "English", role="button")
    tap(page, "See the list of services")
    page.locator("[data-service='adminduk-ktp-el']").click()
    expect(page.locator("#service-facts")).to_contain_text("1 working day once")
    assert "working days" not in page.locator("#service-facts").inner_text()
    expect(page.locator("#service-requirements span[lang='id']").first).to_be_visible()
    screen(page, "KTP-el service page in English")


DESK = {"width": 1280, "height": 800}


def desk_page(browser, live_server, role: str, agency_kind: str | None = None):
    """A desktop browser signed in as a staff member of REGION (a fresh account)."""
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app
    from server.settings import Settings
    from tests.factories import staff_session

    settings = Settings.from_env(live_server.env)
    data = staff_session(live_server.env["DATABASE_URL"], role, REGION, agency_kind=agency_kind)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(data)
        cookie = client.cookies["mpp_session"]
    context = browser.new_context(locale="id-ID", viewport=DESK)
    context.add_cookies([{"name": "mpp_session", "value": cookie, "url": live_server.url}])
    return context, context.new_page()


def test_a_region_admin_creates_an_operator_from_the_home_page(browser, live_server):
    context, page = desk_page(browser, live_server, "region_admin")
    try:
        page.goto(live_server.url + "/backoffice")
        screen(page, "back-office home (region admin)")
        tap(page, "Kelola petugas")
        screen(page, "staff page")
        tap(page, "Buat akun dan tautan pendaftaran", role="button")
        expect(page.locator("#staff-error")).to_be_visible()
        errors_in_view(page, "#staff-error", "staff form sent empty")
        page.fill("#display_name", "Rina Operator")
        page.select_option("#role", "agency_operator")
        page.select_option("#agency_id", label="Dinas Kependudukan dan Pencatatan Sipil Kota Batam")
        tap(page, "Buat akun dan tautan pendaftaran", role="button")
        created = page.locator("#staff-created")
        expect(created).to_contain_text("Rina Operator")
        assert_in_view(created, "the new account's link")
        assert "/backoffice/daftar#kode=" in page.locator("#staff-link").input_value()
        expect(page.locator("tr", has_text="Rina Operator")).to_contain_text("Disdukcapil")
        assert_accessible(page, "staff page after a new account")
        tap(page, "Layanan")
        screen(page, "catalog admin")
    finally:
        context.close()


def test_an_agency_operator_reaches_the_queue_and_sees_every_outcome_where_they_look(browser, live_server):
    from sync.blobstore import FileBlobStore
    from tests.factories import citizen_session
    from tests.integration.test_backoffice import new_application
    from server.settings import Settings

    sql = live_server.env["DATABASE_URL"]
    settings = Settings.from_env(live_server.env)
    citizen = citizen_session(sql, settings.pii_key, nik="2171015505900017", name="WARGA ANTRIAN")
    tracking = new_application(sql, citizen["account"], 917_001, blobs=FileBlobStore(settings.blob_dir))
    context, page = desk_page(browser, live_server, "agency_operator", agency_kind="dpmptsp")
    try:
        page.goto(live_server.url + "/backoffice")
        screen(page, "back-office home (operator)")
        tap(page, "Buka antrian permohonan")
        screen(page, "queue")
        tap(page, tracking)
        screen(page, "application")
        if page.locator("details#aksi-start_review").get_attribute("open") is None:
            page.locator("details#aksi-start_review summary").click()
        page.locator("details#aksi-start_review").get_by_role("button", name="Mulai periksa").click()
        flash = page.locator("#tindakan ~ .flash, section:has(#tindakan) .flash").first
        expect(flash).to_contain_text("Mulai periksa")
        assert_in_view(flash, "the confirmation of an action")
        assert_no_overflow(page, "application after an action")

        box = page.locator("details#aksi-request_revision")
        if box.get_attribute("open") is None:
            box.locator("summary").click()
        box.get_by_role("button", name="Minta perbaikan").click()
        error = page.locator("section:has(#tindakan) .alert")
        expect(error).to_be_visible()
        assert_in_view(error, "the refusal of an action without a note")
        labels = page.locator("details#aksi-request_revision label.field").all_inner_texts()
        assert len(labels) == len(set(labels)), f"the revision form lists a requirement twice: {labels}"
        assert_accessible(page, "application with a refused action")
    finally:
        context.close()


def test_a_field_officer_files_for_a_resident_from_the_home_page(browser, live_server, worker, newcomer):
    from tests.support.people import officer_cookie

    resident = residents_of(live_server, REGION, 19)[-1]
    assert resident.nik != newcomer.nik
    cookie, _ = officer_cookie(live_server.env, REGION)
    context = browser.new_context(locale="id-ID", viewport=PHONE)
    context.add_cookies([{"name": "mpp_session", "value": cookie, "url": live_server.url}])
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        expect(page.locator("h1")).to_have_text("Permohonan warga hari ini")
        screen(page, "officer home")
        tap(page, "Permohonan baru untuk warga")
        tap(page, "Pilih daerah Anda")
        page.locator(f"[data-region='{REGION}']").click()
        expect(page.locator("#service-count")).to_be_visible()
        tap(page, "Kembali ke beranda")
        tap(page, "Permohonan baru untuk warga")
        screen(page, "officer: choose a service")
        page.locator("#assisted-services [data-service='adminduk-ktp-el']").click()
        expect(page.locator("h1")).to_have_text("Data pemohon")
        screen(page, "officer: the resident")
        page.fill("#a-nik", resident.nik)
        page.fill("#a-name", resident.full_name)
        page.fill("#a-birth_date", resident.birth_date.isoformat())
        page.check("#a-ktp-seen")
        page.fill("#a-place", "Balai Desa Sukamaju")
        page.check("#a-consent")
        tap(page, "Lanjut ke formulir layanan")
        # the resident's NIK comes from the officer's check, and stays correctable: it is not the officer's own
        nik = page.locator("#f-nik")
        expect(nik).to_have_value(resident.nik)
        assert nik.get_attribute("readonly") is None
        screen(page, "officer: the form")
        page.select_option("#f-alasan", "rusak")
        page.select_option("#f-lokasi_pengambilan", index=1)
        page.fill("#f-no_hp", "081298765432")
        tap(page, "Kirim", role="button")
        expect(page.locator("h1")).to_have_text("Tanda terima")
        expect(page.locator("#receipt-tracking")).to_be_visible(timeout=SERVER_WAIT_MS)
        screen(page, "officer: the receipt")
        # -- the officer shows the resident where to follow it: the tracking page, at phone width
        tracking = page.locator("#receipt-tracking").inner_text().strip()
        tap(page, f"{live_server.url}/lacak")
        screen(page, "tracking page")
        for field in ("#nomor", "#tanggal_lahir"):
            assert page.locator(field).bounding_box()["width"] >= 250, f"{field} is wide enough to type in"
        page.fill("#nomor", tracking)
        page.fill("#tanggal_lahir", resident.birth_date.isoformat())
        tap(page, "Lacak", role="button")
        expect(page.get_by_role("heading", name=f"Permohonan {tracking}")).to_be_visible()
        result = page.locator("dl.facts").first
        expect(result).to_contain_text("Diterima")
        for dd in result.locator("dd").all():
            assert dd.bounding_box()["width"] >= 250, "a result line is not squeezed to a word per line"
        screen(page, "tracking result")
    finally:
        context.close()
