"""The catalog: seeded standar pelayanan, versions, the JSON API, public pages and the device copy."""

from __future__ import annotations

import httpx
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.catalog.models import Service
from server.catalog.service import SpecInconsistent
from tests.conftest import make_settings
from tests.factories import run, seed_regions, with_catalog


@pytest.fixture
def seeded(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    with TestClient(app=create_app(settings)) as client:
        yield client, sql_url, fresh_couch


def couch_docs(couch, db):
    r = httpx.get(f"{couch.db_url(db)}/_all_docs", params={"include_docs": "true"}, auth=(couch.user, couch.password), timeout=10)
    assert r.status_code == 200, r.text
    return {row["id"]: row["doc"] for row in r.json()["rows"] if not row["id"].startswith("_design/")}


def test_a_region_offers_all_39_services_with_three_agencies(seeded):
    client, *_ = seeded
    regions = client.get("/api/regions").json()
    assert {r["code"] for r in regions} == {"21.71", "33.02"}
    region = client.get("/api/regions/21.71").json()
    assert region["name"] == "Kota Batam" and region["kind"] == "kota"
    assert {a["kind"] for a in region["agencies"]} == {"disdukcapil", "dinkes", "dpmptsp"}
    services = client.get("/api/regions/21.71/services").json()
    assert len(services) == 39
    assert sum(s["category"] == "adminduk" for s in services) == 8
    assert all(s["version"] == 1 and s["fee_label"] == "Gratis" for s in services)


def test_a_service_version_holds_every_component_of_the_standar_pelayanan(seeded):
    client, *_ = seeded
    sip = client.get("/api/regions/21.71/services/nakes-sip-bidan").json()
    c = sip["content"]
    for key in ("requirements", "steps", "sla_days", "fee_idr", "output", "legal_basis", "complaint_channel",
                "validity", "assurance", "auto_issue_on_sla", "form_fields"):
        assert key in c, key
    assert c["sla_days"] == 5 and c["auto_issue_on_sla"] is True and c["validity"]["years"] == 5
    assert [s["agency"] for s in c["steps"]] == ["dpmptsp", "dinkes", "dpmptsp"]
    assert any(r["from_registry"] for r in c["requirements"]) and any(r["from_wallet"] for r in c["requirements"])
    kk = client.get("/api/regions/21.71/services/adminduk-kk").json()["content"]
    assert kk["assurance"] == "verified" and kk["auto_issue_on_sla"] is False


def test_search_finds_services_by_words_of_their_name(seeded):
    client, *_ = seeded
    found = client.get("/api/regions/21.71/services", params={"q": "sip bidan"}).json()
    assert [s["id"] for s in found] == ["nakes-sip-bidan"]
    assert client.get("/api/regions/21.71/services", params={"q": "tidak ada layanan begini"}).json() == []


def test_unknown_region_and_service_are_404_with_indonesian_messages(seeded):
    client, *_ = seeded
    r = client.get("/api/regions/99.99")
    assert r.status_code == 404 and r.json()["code"] == "catalog.region_not_found" and "99.99" in r.json()["message"]
    r = client.get("/api/regions/21.71/services/layanan-fiktif")
    assert r.status_code == 404 and r.json()["code"] == "catalog.service_not_offered"


def test_public_pages_render_without_javascript(seeded):
    client, *_ = seeded
    home = client.get("/wilayah/21.71", headers={"accept": "text/html"})
    assert home.status_code == 200
    assert "Disdukcapil" in home.text and "DPMPTSP" in home.text and "Surat Izin Praktik (SIP) Bidan" in home.text
    assert "<script" not in home.text
    searched = client.get("/wilayah/21.71", params={"q": "akta kelahiran"})
    assert "Akta Kelahiran" in searched.text and "SIP" not in searched.text.split("</form>")[1].split("Tampilkan semua")[1]
    page = client.get("/wilayah/21.71/layanan/nakes-sip-bidan")
    assert page.status_code == 200
    for text in ("Persyaratan", "Prosedur", "5 hari kerja", "Gratis", "Dasar hukum", "SP4N-LAPOR!", "Verifikasi teknis",
                 'href="/#/ajukan/21.71/nakes-sip-bidan"', "Ajukan permohonan", "terbit otomatis"):
        assert text in page.text, text
    assert client.get("/wilayah").text.count("/wilayah/") >= 2


def test_published_catalog_is_in_the_region_couch_database(seeded):
    _, _, couch = seeded
    docs = couch_docs(couch, "catalog-2171")
    services = [d for d in docs.values() if d["type"] == "service"]
    assert len(services) == 39 and all(d["current"] for d in services)
    assert docs["region:21.71"]["name"] == "Kota Batam"
    assert "service:nakes-sip-bidan:1" in docs


def test_publishing_an_override_makes_a_new_version_and_keeps_the_old_one(seeded):
    client, sql_url, couch = seeded

    async def publish(catalog):
        await catalog.set_overrides("21.71", "adminduk-kk", {"sla_days": 3, "fee_idr": 0})
        return await catalog.publish("21.71", "adminduk-kk", by="admin-test")

    version = run(with_catalog(sql_url, couch, publish))
    assert version.version == 2 and version.content["sla_days"] == 3
    assert client.get("/api/regions/21.71/services/adminduk-kk").json()["version"] == 2
    old = client.get("/api/regions/21.71/services/adminduk-kk/versions/1").json()
    assert old["content"]["sla_days"] == 1
    docs = couch_docs(couch, "catalog-2171")
    assert docs["service:adminduk-kk:1"]["current"] is False
    assert docs["service:adminduk-kk:2"]["current"] is True
    # the other region is untouched
    assert client.get("/api/regions/33.02/services/adminduk-kk").json()["version"] == 1
    # publishing again without a change is a no-op
    assert run(with_catalog(sql_url, couch, lambda c: c.publish("21.71", "adminduk-kk"))).version == 2


def test_an_inconsistent_spec_is_refused_with_every_problem_listed(seeded):
    _, sql_url, couch = seeded

    async def break_and_publish(catalog):
        service = await catalog.session.get(Service, "adminduk-kia")
        template = dict(service.template)
        fields = [dict(f) for f in template["form_fields"]]
        fields.append(dict(fields[0]))  # duplicate id
        fields.append({"id": "pilihan", "label_id": "Pilihan", "type": "radio", "required": True, "options": []})
        template["form_fields"] = fields
        service.template = template
        catalog.session.add(service)
        await catalog.session.commit()
        await catalog.set_overrides("21.71", "adminduk-kia", {
            "requirements": [{"id": "x", "label_id": "X", "required": False, "source": "upload", "when": "tidak_ada == 'y'"}],
            "steps": [{"id": "cek", "name_id": "Cek", "agency": "dinas-fiktif"}],
        })
        await catalog.publish("21.71", "adminduk-kia")

    with pytest.raises(SpecInconsistent) as err:
        run(with_catalog(sql_url, couch, break_and_publish))
    codes = {p["code"] for p in err.value.problems}
    assert {"field.duplicate_id", "field.options_missing", "requirement.when_unknown_field", "spec.step_agency_unknown"} <= codes
    assert all(p["message"] for p in err.value.problems)
