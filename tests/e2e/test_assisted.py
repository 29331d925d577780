"""A field officer in a village with no signal: three applications for three residents, each with
the person, the KTP check, the consent and two photos taken on the officer's phone, kept across a
reload and sent once the signal is back (the first with a photo of the KTP too) — three
applications `received`, the seven photos on the server byte for byte, owned by the officer; then one of those residents enrols and finds the
application filed for them."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.photos import PHOTO_FIELDS, SERVICE, camera_jpeg, publish_photo_service, stored_blobs, wait_until_ready_offline
from tests.e2e.test_drafts_sync import REGION, SERVER_WAIT_MS, TRACKING, enrol, pull_catalog, worker  # noqa: F401
from tests.e2e.test_identity import add_authenticator
from tests.e2e.test_offline_shell import visit_until_controlled
from tests.factories import run, staff_session
from tests.support.people import officer_cookie as support_officer_cookie

OFFICER = "Petugas field_officer"  # the display name tests.factories.staff_session gives
SERVICE_NAME = "Uji foto dokumen"  # SERVICE's name: a phone number and two required photos


def residents_from(live_server, region: str, offset: int, count: int):
    """Heads of family of the stand-in register, well past those other e2e tests enrol."""
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
                         .order_by(Resident.nik).offset(offset).limit(count))
                return list((await session.exec(query)).all())
        finally:
            await engine.dispose()

    return run(pick())


def officer_cookie(live_server) -> tuple[str, str]:
    """A signed-in field officer of the region, as the live server's session cookie, and the account id."""
    return support_officer_cookie(live_server.env, REGION)


@pytest.fixture(scope="module")
def villagers(live_server):
    found = residents_from(live_server, REGION, 6, 3)
    assert len(found) == 3, "the demo register should hold families in 21.71"
    return found


def applications_of(live_server, account_id: str) -> list:
    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from server.db import make_engine
    from sync.models import Application

    async def look():
        engine = make_engine(live_server.env["DATABASE_URL"])
        try:
            async with AsyncSession(engine) as session:
                return list((await session.exec(select(Application).where(Application.account_id == account_id))).all())
        finally:
            await engine.dispose()

    return run(look())


def collect(page, base: str, resident, photos: list[bytes], ktp: bytes | None = None) -> tuple[str, list[str]]:
    """One assisted application, from "Permohonan baru untuk warga" to "Kirim", with two photos
    (and a photo of the KTP at step 2 when `ktp` is given); returns the draft uuid and the sha256
    the device computed for each photo it keeps, the KTP photo's last."""
    page.goto(base + "/#/petugas")
    page.get_by_role("link", name="Permohonan baru untuk warga").click()
    page.locator(f"#assisted-services [data-service='{SERVICE}']").click()
    page.wait_for_selector("#a-nik")
    page.fill("#a-nik", resident.nik)
    page.fill("#a-name", resident.full_name)
    page.fill("#a-birth_date", resident.birth_date.isoformat())
    expect(page.locator("#to-form")).to_be_hidden()  # no KTP check, no consent yet
    page.check("#a-ktp-seen")
    page.fill("#a-place", "Balai Kelurahan Sekupang")
    ktp_sha = None
    if ktp is not None:
        page.set_input_files("#a-ktp-photo", files=[{"name": "ktp.jpg", "mimeType": "image/jpeg", "buffer": ktp}])
        expect(page.locator("[data-file-preview='_ktp'] img")).to_be_visible(timeout=30_000)
        expect(page.locator("[data-file-note='_ktp']")).to_contain_text("Tersimpan di perangkat")
        ktp_sha = page.locator("[data-file-preview='_ktp'] img").get_attribute("data-sha256")
    expect(page.locator("#consent-text")).to_contain_text("hanya untuk memproses permohonan ini")
    page.check("#a-consent")
    expect(page.locator("#a-nik-msg")).to_have_text("")
    page.get_by_role("link", name="Lanjut ke formulir layanan").click()
    expect(page.locator("#applicant")).to_contain_text(resident.full_name)
    page.fill("#f-no_hp", "081234567890")
    for field, photo in zip(PHOTO_FIELDS, photos, strict=True):
        page.set_input_files(f"#f-{field}", files=[{"name": f"{field}.jpg", "mimeType": "image/jpeg", "buffer": photo}])
        expect(page.locator(f"[data-file-preview='{field}'] img")).to_be_visible(timeout=30_000)
        expect(page.locator(f"[data-file-note='{field}']")).to_contain_text("Tersimpan di perangkat")
    shas = [page.locator(f"[data-file-preview='{f}'] img").get_attribute("data-sha256") for f in PHOTO_FIELDS]
    assert all(s and re.fullmatch(r"[0-9a-f]{64}", s) for s in shas), shas
    page.get_by_role("button", name="Kirim", exact=True).click()
    page.wait_for_selector("#receipt")
    match = re.search(r"#/petugas/tanda-terima/([0-9a-f-]{36})$", page.evaluate("location.hash"))
    assert match, page.evaluate("location.hash")
    return match.group(1), shas + ([ktp_sha] if ktp_sha else [])


def test_an_officer_collects_three_applications_with_photos_offline_and_they_reach_the_server(browser, couch, live_server, worker,
                                                                                            villagers):
    base = live_server.url
    publish_photo_service(live_server, couch)
    context = browser.new_context(locale="id-ID", viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        cookie, officer_id = officer_cookie(live_server)
        context.add_cookies([{"name": "mpp_session", "value": cookie, "url": base}])
        visit_until_controlled(page, base)
        expect(page.locator("#officer-home")).to_be_visible()  # /api/identity/me said field_officer
        pull_catalog(page, base)
        photos = [[camera_jpeg(page, 2400, 1800, 10 * i + k) for k in (1, 2)] for i in range(len(villagers))]
        wait_until_ready_offline(page, 3)  # compression, export and the officer screens

        context.set_offline(True)
        ktp = camera_jpeg(page, 2400, 1800, 99)  # the first villager's KTP, photographed at step 2
        collected = [collect(page, base, r, p, ktp if i == 0 else None) for i, (r, p) in enumerate(zip(villagers, photos, strict=True))]
        uuids = [u for u, _ in collected]
        shas = [s for _, pair in collected for s in pair]
        assert len(set(shas)) == 7, shas
        expect(page.locator("#receipt-waiting")).to_be_visible()

        page.goto(base + "/#/petugas")
        page.reload()  # offline: everything comes from the device
        expect(page.locator("#assisted-today li[data-draft]")).to_have_count(3)
        for r in villagers:
            expect(page.locator("#assisted-today")).to_contain_text(r.full_name)
        expect(page.locator("#officer-waiting")).to_have_text("3 menunggu dikirim")
        expect(page.locator("#assisted-today [data-state]").first).to_have_text("Menunggu dikirim")

        context.set_offline(False)
        # pushed and confirmed through _revs_diff, then read back from the officer's database
        try:
            expect(page.locator("#officer-waiting")).to_have_text("0 menunggu dikirim", timeout=SERVER_WAIT_MS)
        except AssertionError as exc:
            raise AssertionError(f"drafts not sent; sync card: {page.locator('#sync').inner_text()!r}") from exc
        for u in uuids:
            doc = httpx.get(f"{couch.db_url('userdb-' + officer_id)}/draft:{u}", auth=(couch.user, couch.password), timeout=30).json()
            assert doc["applicant"]["kind"] == "assisted", doc
            assert doc["applicant"]["identity_check"]["ktp_seen"] is True
            assert doc["applicant"]["consent"]["given"] is True and doc["applicant"]["consent"]["text_version"]
            assert doc["state"] == "submitted"
            assert [doc["values"][f]["sha256"] for f in PHOTO_FIELDS] == dict(collected)[u][:2], doc["values"]
            ktp_ref = doc["applicant"]["identity_check"]["photo"]
            if u == uuids[0]:
                assert ktp_ref["sha256"] == dict(collected)[u][2] and ktp_ref["field"] == "_ktp", ktp_ref
                assert ktp_ref["mime"] == "image/jpeg" and set(ktp_ref) == {"sha256", "size", "mime", "field"}, ktp_ref
            else:
                assert ktp_ref is None, ktp_ref
            assert doc["applicant"]["consent"]["signature"] is None
        niks = {httpx.get(f"{couch.db_url('userdb-' + officer_id)}/draft:{u}", auth=(couch.user, couch.password), timeout=30)
                 .json()["applicant"]["nik"] for u in uuids}
        assert niks == {r.nik for r in villagers}

        # NEEDS THE SERVER SIDE (ingest of assisted drafts, status docs with check_code): each
        # becomes an application with a tracking number and a check code for the paper slip.
        page.goto(f"{base}/#/petugas/tanda-terima/{uuids[0]}")
        expect(page.locator("#receipt-tracking")).to_have_text(re.compile(TRACKING), timeout=SERVER_WAIT_MS)
        expect(page.locator("#receipt-check-code")).not_to_be_empty()
        expect(page.locator("#receipt")).to_contain_text("/lacak")
        expect(page.locator("#receipt")).to_contain_text("tanggal lahir")

        # the photos went up through /blobs/ after the drafts: every application ends received
        # (not waiting_for_files) and the blob store holds the very bytes the phone hashed
        apps = []
        for _ in range(SERVER_WAIT_MS // 500):
            apps = applications_of(live_server, officer_id)
            if len(apps) == 3 and all(a.state == "received" for a in apps):
                break
            page.wait_for_timeout(500)
        assert sorted((a.draft_id, a.state) for a in apps) == sorted((f"draft:{u}", "received") for u in uuids), \
            [(a.draft_id, a.state) for a in apps]
        held = stored_blobs(live_server, shas)
        assert set(held) == set(shas), held
        for sha, blob in held.items():
            assert blob["disk_sha256"] == sha, (sha, blob)
            assert blob["owners"] == {officer_id}, (sha, blob)
            assert blob["mime"] == "image/jpeg" and 0 < blob["size"] <= 250 * 1024, (sha, blob)
    finally:
        context.close()


def test_a_resident_who_enrols_later_sees_the_application_filed_for_them(browser, live_server, worker, villagers):
    # runs after the test above (same module, file order), which filed an application for villagers[0]
    base = live_server.url
    context = browser.new_context(locale="id-ID", viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        add_authenticator(context, page)
        visit_until_controlled(page, base)
        enrol(page, base, villagers[0])
        pull_catalog(page, base)
        page.goto(base + "/#/permohonan")
        # NEEDS THE SERVER SIDE: the status doc (assisted_by, service_id, region_code) in the citizen's database
        item = page.locator("#drafts li[data-assisted]").first
        expect(item).to_contain_text(f"Diajukan dengan bantuan petugas {OFFICER}", timeout=SERVER_WAIT_MS)
        expect(item).to_contain_text(SERVICE_NAME)
        assert re.search(TRACKING, item.inner_text())
        assert item.locator("a").count() == 0  # not editable: nothing to open
    finally:
        context.close()
