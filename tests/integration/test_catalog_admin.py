"""Region admin pages for the catalog: list, enable/disable, overrides, preview, publish, region days."""

from __future__ import annotations

import dataclasses
import html
import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from litestar.testing import TestClient
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import new_id
from identity.models import Account, Device, RoleGrant, utcnow
from server.accounts.sessions import session_config
from server.app import create_app
from server.catalog.regiondays import RegionDayService
from server.catalog.workdays import Calendar
from server.db import make_engine
from tests.conftest import make_settings
from tests.factories import citizen_session, run, seed_regions, staff_session

BASE = "/backoffice/wilayah/21.71/katalog"
HIDDEN_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def region_admin_session(sql_url: str, region: str) -> dict[str, str]:
    """A signed-in region admin of `region`: the session data the passkey sign-in would leave."""

    async def go() -> dict[str, str]:
        engine = make_engine(sql_url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                account = Account(id=new_id(), kind="staff", display_name="Admin Kota Batam", assurance="verified")
                session.add(account)
                await session.flush()
                session.add(RoleGrant(account_id=account.id, role="region_admin", region_code=region))
                device = Device(id=new_id(), account_id=account.id, name="Firefox di Linux")
                session.add(device)
                await session.commit()
                return {"account": account.id, "device": device.id, "auth_at": utcnow().isoformat()}
        finally:
            await engine.dispose()

    return run(go())


@contextmanager
def admin_client(settings, sql_url: str):
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(region_admin_session(sql_url, "21.71"))
        yield client


@pytest.fixture
def seeded(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71",))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    with admin_client(settings, sql_url) as client:
        yield client, sql_url, settings


def token_from(page) -> str:
    """The CSRF token of a page's forms; it is the value of the `mpp_csrf` cookie as well."""
    assert page.status_code == 200, page.text
    tokens = set(HIDDEN_TOKEN.findall(page.text))
    assert len(tokens) == 1, "every form of the page carries the same token"
    return tokens.pop()


def edit_form(client, service_id: str) -> tuple[dict[str, str], str]:
    """The overrides form as a browser would submit it untouched."""
    page = client.get(f"{BASE}/layanan/{service_id}")
    token = token_from(page)
    form = {"_csrf_token": token, "aksi": "simpan"}
    for m in re.finditer(r'<input type="(?:text|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"', page.text):
        if m[1] != "_csrf_token":
            form[m[1]] = html.unescape(m[2])
    for m in re.finditer(r'<input type="checkbox" name="([^"]+)" value="1" checked>', page.text):
        form[m[1]] = "1"
    for m in re.finditer(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', page.text, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', m[2])
        if chosen:
            form[m[1]] = chosen[1]
    return form, token


def test_the_list_shows_all_39_services_with_state_version_sla_and_fee(seeded):
    client, *_ = seeded
    page = client.get(BASE, headers={"accept": "text/html"})
    assert page.status_code == 200
    rows = re.findall(r'<tr id="layanan-([a-z0-9-]+)"', page.text)
    assert len(rows) == 39 and "adminduk-kk" in rows and "nakes-sip-bidan" in rows
    assert page.text.count('<span class="badge ok">Aktif</span>') == 39
    assert "Gratis" in page.text and "hari kerja" in page.text
    assert "ada perubahan belum terbit" not in page.text
    assert "<script" not in page.text
    assert page.text.count('name="_csrf_token"') == 39  # one enable/disable form per service


def test_a_post_without_the_csrf_token_is_refused(seeded):
    client, *_ = seeded
    client.get(BASE)  # the browser holds the cookie, but the form field is missing
    r = client.post(f"{BASE}/layanan/adminduk-kk/nonaktifkan", data={})
    assert r.status_code == 403
    r = client.post(f"{BASE}/layanan/adminduk-kk/nonaktifkan", data={"_csrf_token": "palsu" * 30})
    assert r.status_code == 403
    assert any(s["id"] == "adminduk-kk" for s in client.get("/api/regions/21.71/services").json())


def test_changing_the_sla_and_publishing_makes_version_2_and_keeps_version_1(seeded):
    client, *_ = seeded
    form, token = edit_form(client, "adminduk-kk")
    assert form["sla_days"] == "1"
    form["sla_days"] = "3"
    saved = client.post(f"{BASE}/layanan/adminduk-kk", data=form)
    assert saved.status_code == 200 and saved.url.path.endswith("/pratinjau")
    assert "Perubahan disimpan" in saved.text and "Waktu penyelesaian: 1 → 3 hari kerja" in saved.text
    listing = client.get(BASE)
    assert "ada perubahan belum terbit" in listing.text
    assert client.get("/api/regions/21.71/services/adminduk-kk").json()["version"] == 1  # not yet published

    published = client.post(f"{BASE}/layanan/adminduk-kk/terbitkan", data={"_csrf_token": token})
    assert published.status_code == 200 and "Versi 2 diterbitkan" in published.text
    assert "ada perubahan belum terbit" not in published.text
    current = client.get("/api/regions/21.71/services/adminduk-kk").json()
    assert current["version"] == 2 and current["content"]["sla_days"] == 3
    assert client.get("/api/regions/21.71/services/adminduk-kk/versions/1").json()["content"]["sla_days"] == 1


def test_an_invalid_sla_comes_back_with_the_input_kept_and_a_message(seeded):
    client, *_ = seeded
    form, _ = edit_form(client, "adminduk-kk")
    form.update({"sla_days": "abc", "fee_idr": "dua ribu", "req-0-label": "Surat pengantar RT diubah"})
    r = client.post(f"{BASE}/layanan/adminduk-kk", data=form)
    assert r.status_code == 400
    assert 'value="abc"' in r.text and 'value="dua ribu"' in r.text and 'value="Surat pengantar RT diubah"' in r.text
    assert re.search(r'id="sla_days"[^>]*aria-invalid="true"', r.text)
    assert "bilangan bulat hari kerja" in r.text and "rupiah tanpa sen" in r.text
    assert client.get("/api/regions/21.71/services/adminduk-kk").json()["version"] == 1
    bad_condition = dict(form, sla_days="2", fee_idr="0", **{"req-0-kondisi": "jenis_permohonan == 'hilang"})
    r = client.post(f"{BASE}/layanan/adminduk-kk", data=bad_condition)
    assert r.status_code == 400 and "Kondisi tidak dapat dibaca" in r.text


def test_requirements_and_steps_can_be_added_removed_and_reordered(seeded):
    client, *_ = seeded
    form, token = edit_form(client, "adminduk-kk")
    assert form["req-1-id"] == "akta_perceraian" and "req-6-id" not in form and form["step-2-urutan"] == "3"  # 6 + 2 rows, then a blank one each
    more = client.post(f"{BASE}/layanan/adminduk-kk", data=dict(form, aksi="tambah_persyaratan"))
    assert more.status_code == 200 and more.text.count("Persyaratan baru (isi bila perlu)") == 2
    assert client.get("/api/regions/21.71/services/adminduk-kk").json()["version"] == 1  # adding a row saves nothing
    form.update({"req-6-label": "Surat pengantar RT/RW", "req-6-wajib": "1", "req-1-hapus": "1",
                 "step-0-urutan": "2", "step-1-urutan": "1", "step-2-nama": "Wawancara", "step-2-instansi": "disdukcapil"})
    assert client.post(f"{BASE}/layanan/adminduk-kk", data=form).status_code == 200
    assert client.post(f"{BASE}/layanan/adminduk-kk/terbitkan", data={"_csrf_token": token}).status_code == 200
    c = client.get("/api/regions/21.71/services/adminduk-kk").json()["content"]
    ids = [r["id"] for r in c["requirements"]]
    assert "surat_pengantar_rt_rw" in ids and "akta_perceraian" not in ids
    new = next(r for r in c["requirements"] if r["id"] == "surat_pengantar_rt_rw")
    assert new["required"] is True and new["from_wallet"] is True and new["when"] is None
    assert [s["id"] for s in c["steps"]] == ["penerbitan", "verifikasi_berkas", "wawancara"]
    assert c["steps"][2]["agency"] == "disdukcapil"


def test_an_unknown_field_in_a_condition_blocks_publishing_with_every_problem_listed(seeded):
    client, *_ = seeded
    form, token = edit_form(client, "adminduk-kk")
    form.update({"req-0-kondisi": "status_fiktif == 'ya'", "req-1-kondisi": "kolom_lain == 'x'"})
    preview = client.post(f"{BASE}/layanan/adminduk-kk", data=form)
    assert preview.status_code == 200 and "2 masalah menghalangi terbit" in preview.text
    r = client.post(f"{BASE}/layanan/adminduk-kk/terbitkan", data={"_csrf_token": token})
    assert r.status_code == 422
    assert "Belum diterbitkan: ada 2 masalah" in r.text
    assert "menyebut kolom &#39;status_fiktif&#39;" in r.text and "menyebut kolom &#39;kolom_lain&#39;" in r.text
    assert client.get("/api/regions/21.71/services/adminduk-kk").json()["version"] == 1
    assert client.get("/api/regions/21.71/services/adminduk-kk/versions/2").status_code == 404


def test_the_preview_shows_the_form_as_the_citizen_will_see_it(seeded):
    client, *_ = seeded
    page = client.get(f"{BASE}/layanan/adminduk-kk/pratinjau")
    assert page.status_code == 200
    assert "Jenis permohonan" in page.text and '<option value="cetak_ulang">Cetak ulang</option>' in page.text
    assert "NIK pemohon" in page.text and "terisi dari data kependudukan" in page.text
    assert "berlaku bila <code>jenis_permohonan == &#39;hilang&#39;</code>" in page.text
    assert "Tidak ada perubahan dibanding versi 1" in page.text
    assert re.search(r"<button[^>]*disabled>Terbitkan", page.text)


def test_disabling_removes_the_service_and_enabling_brings_it_back(seeded):
    client, *_ = seeded
    token = token_from(client.get(BASE))
    r = client.post(f"{BASE}/layanan/adminduk-kk/nonaktifkan", data={"_csrf_token": token})
    assert r.status_code == 200 and "Layanan dinonaktifkan — Penerbitan Kartu Keluarga" in r.text
    assert "adminduk-kk" not in {s["id"] for s in client.get("/api/regions/21.71/services").json()}
    assert client.get("/api/regions/21.71/services/adminduk-kk").status_code == 404
    r = client.post(f"{BASE}/layanan/adminduk-kk/aktifkan", data={"_csrf_token": token})
    assert r.status_code == 200 and "versi 1 berlaku" in r.text
    assert "adminduk-kk" in {s["id"] for s in client.get("/api/regions/21.71/services").json()}


def test_enabling_a_service_never_published_publishes_it(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71",))

    async def forget(session: AsyncSession) -> None:
        from sqlmodel import delete

        from server.catalog.models import RegionService, ServiceVersion

        await session.exec(delete(ServiceVersion).where(ServiceVersion.service_id == "adminduk-kia"))
        await session.exec(delete(RegionService).where(RegionService.service_id == "adminduk-kia"))
        await session.commit()

    run(_with_session(sql_url, forget))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    with admin_client(settings, sql_url) as client:
        listing = client.get(BASE)
        assert "Aktifkan dan terbitkan" in listing.text
        r = client.post(f"{BASE}/layanan/adminduk-kia/aktifkan", data={"_csrf_token": token_from(listing)})
        assert r.status_code == 200 and "versi 1 berlaku" in r.text
        version = client.get("/api/regions/21.71/services/adminduk-kia").json()
        assert version["version"] == 1


def test_a_region_day_closes_the_office_in_that_region_calendar(seeded):
    client, sql_url, _ = seeded
    page = client.get(f"{BASE}/hari-kerja")
    assert "Berkas lengkap hari ini" in page.text and page.text.count("<tr><td>") == 10
    token = token_from(page)
    day = _next_weekday_without_holiday()
    assert Calendar().is_working_day(day)
    r = client.post(f"{BASE}/hari-kerja", data={"_csrf_token": token, "tanggal": day.isoformat(), "jenis": "tutup",
                                                "keterangan": "Hari Jadi Kota Batam"})
    assert r.status_code == 200 and "disimpan sebagai hari tutup" in r.text and "Hari Jadi Kota Batam" in r.text
    calendar = run(_with_session(sql_url, lambda s: RegionDayService(s).calendar("21.71")))
    assert not calendar.is_working_day(day)
    assert calendar.add_working_days(day - timedelta(days=1), 1) != day
    other = run(_with_session(sql_url, lambda s: RegionDayService(s).calendar("33.02")))
    assert other.is_working_day(day)  # another region is not affected

    r = client.post(f"{BASE}/hari-kerja", data={"_csrf_token": token, "tanggal": "2026-02-30", "jenis": "tutup", "keterangan": "x"})
    assert r.status_code == 400 and 'value="2026-02-30"' in r.text and "Tanggal tidak dikenali" in r.text

    r = client.post(f"{BASE}/hari-kerja/{day.isoformat()}/hapus", data={"_csrf_token": token})
    assert r.status_code == 200 and "kembali mengikuti kalender nasional" in r.text
    assert run(_with_session(sql_url, lambda s: RegionDayService(s).calendar("21.71"))).is_working_day(day)


ADMIN_ROUTES = [
    ("GET", ""), ("GET", "/layanan/adminduk-kk"), ("GET", "/layanan/adminduk-kk/pratinjau"), ("GET", "/hari-kerja"),
    ("POST", "/layanan/adminduk-kk"), ("POST", "/layanan/adminduk-kk/aktifkan"), ("POST", "/layanan/adminduk-kk/nonaktifkan"),
    ("POST", "/layanan/adminduk-kk/terbitkan"), ("POST", "/hari-kerja"), ("POST", "/hari-kerja/2026-08-18/hapus"),
]


@pytest.mark.parametrize("who", ["nobody", "citizen", "field_officer", "agency_operator", "national_monitor", "admin_of_other_region"])
def test_only_the_region_admin_of_that_region_may_use_any_admin_route(sql_url, fresh_couch, tmp_path, who):
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        if who == "citizen":
            client.set_session_data(citizen_session(sql_url, settings.pii_key))
        elif who == "admin_of_other_region":
            client.set_session_data(region_admin_session(sql_url, "33.02"))
        elif who != "nobody":
            client.set_session_data(staff_session(sql_url, who, None if who == "national_monitor" else "21.71"))
        client.get("/wilayah/21.71")  # a public page hands out the CSRF cookie
        token = client.cookies["mpp_csrf"]
        for method, path in ADMIN_ROUTES:
            r = client.request(method, BASE + path, data={"_csrf_token": token, "sla_days": "3"} if method == "POST" else None,
                               headers={"accept": "application/json"})
            expected = (401, "auth.required") if who == "nobody" else (403, "auth.forbidden")
            assert (r.status_code, r.json()["code"]) == expected, (who, method, path, r.text)
        assert client.get("/api/regions/21.71/services/adminduk-kk").json()["version"] == 1


def test_an_unknown_region_or_service_is_a_404_page(seeded):
    client, *_ = seeded
    assert client.get("/backoffice/wilayah/21.71/katalog/layanan/layanan-fiktif", headers={"accept": "text/html"}).status_code == 404


# --- helpers -------------------------------------------------------------------------------------


async def _with_session(sql_url, fn):
    engine = make_engine(sql_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            return await fn(session)
    finally:
        await engine.dispose()


def _next_weekday_without_holiday() -> date:
    day, calendar = date.today() + timedelta(days=14), Calendar()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day
