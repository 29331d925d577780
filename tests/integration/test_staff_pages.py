"""Staff reach their work from the back-office home, and the region admin manages the region's
staff on a page (the same rule as the JSON API): a new account with its one-time link, the list,
refusals that say why. Other roles are refused on the page (tests/integration/test_authorization.py)."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.sessions import session_config
from server.app import create_app
from server.catalog.models import Agency
from server.db import make_engine
from tests.conftest import make_settings
from tests.factories import run, seed_regions, staff_session
from tests.integration.test_catalog_admin import token_from

STAFF = "/backoffice/wilayah/21.71/petugas"


@pytest.fixture
def office(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        yield client, sql_url


def agency_id(sql_url: str, region: str, kind: str) -> int:
    async def go():
        engine = make_engine(sql_url)
        try:
            async with AsyncSession(engine) as session:
                return (await session.exec(select(Agency.id).where(Agency.region_code == region, Agency.kind == kind))).one()
        finally:
            await engine.dispose()

    return run(go())


def links(page_text: str) -> set[str]:
    return {html.unescape(h) for h in re.findall(r'href="([^"]+)"', page_text)}


@pytest.mark.parametrize(("role", "agency", "work"), [
    ("agency_operator", "dpmptsp", "/backoffice/wilayah/21.71/antrian"),
    ("region_admin", None, STAFF),
    ("field_officer", None, "/#/petugas"),
])
def test_every_staff_role_finds_a_link_to_its_work_on_the_home_page(office, role, agency, work):
    client, sql_url = office
    client.set_session_data(staff_session(sql_url, role, "21.71", agency_kind=agency))
    home = client.get("/backoffice")
    assert home.status_code == 200
    assert work in links(home.text), f"{role}: no link to {work} on the home page"


def test_a_region_admin_creates_an_operator_and_gets_the_enrolment_link(office):
    client, sql_url = office
    client.set_session_data(staff_session(sql_url, "region_admin", "21.71"))
    page = client.get(STAFF)
    token = token_from(page)
    assert "Kelola petugas" in page.text
    r = client.post(STAFF, data={"_csrf_token": token, "display_name": "Sri Wahyuni", "role": "agency_operator",
                                 "agency_id": str(agency_id(sql_url, "21.71", "disdukcapil"))})
    assert r.status_code == 201, r.text[:500]
    link = re.search(r'id="staff-link" readonly value="([^"]+)"', r.text).group(1)
    assert urlsplit(html.unescape(link)).path == "/backoffice/daftar" and "#kode=" in html.unescape(link)
    row = re.search(r'<tr data-staff="[0-9a-f]+"><td>Sri Wahyuni</td><td>Operator instansi</td><td>Disdukcapil</td>', r.text)
    assert row, "the new operator is listed with role and agency"
    assert "belum memakai tautan" in r.text


def test_an_operator_of_another_regions_agency_is_refused_on_page_and_api_alike(office):
    client, sql_url = office
    client.set_session_data(staff_session(sql_url, "region_admin", "21.71"))
    token = token_from(client.get(STAFF))
    foreign = agency_id(sql_url, "33.02", "disdukcapil")
    page = client.post(STAFF, data={"_csrf_token": token, "display_name": "Orang Lain", "role": "agency_operator", "agency_id": str(foreign)})
    assert page.status_code == 400 and 'id="staff-error"' in page.text
    assert 'value="Orang Lain"' in page.text, "the input is kept"
    api = client.post("/api/identity/staff/21.71", json={"display_name": "Orang Lain", "role": "agency_operator", "agency_id": foreign})
    assert api.status_code == 400 and api.json()["code"] == "identity.role_invalid"
    assert "Orang Lain" not in client.get(STAFF).text


def test_a_region_admin_opening_a_queue_is_told_whose_page_it_is_and_led_back_to_their_work(office):
    client, sql_url = office
    client.set_session_data(staff_session(sql_url, "region_admin", "21.71"))
    r = client.get("/backoffice/wilayah/21.71/antrian", headers={"accept": "text/html"})
    assert r.status_code == 403
    assert "Hubungi admin MPP" not in r.text
    assert "operator instansi" in r.text and "Kelola petugas" in r.text
    assert 'href="/backoffice"' in r.text
