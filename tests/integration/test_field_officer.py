"""Field-officer mode: an officer files an application for a resident from the officer's own
database; the resident's NIK is checked against the NIK rules and the population registry and
kept only encrypted; the resident sees the status in their own database (enrolled before or
after), and anyone with the slip follows it on `/lacak` — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

from identity.crypto import PiiCipher
from identity.registry import LocalRegistry
from server.accounts.sessions import session_config
from server.app import create_app
from server.applications.lookup import NOT_FOUND
from server.applications.validation import CatalogRules
from sync.applicants import APPLICANT, CHECK_ALPHABET, ApplicantCheck
from sync.drafts import status_id, userdb_name
from sync.ingest import Ingestor
from sync.models import Application, Outbox
from sync.publisher import Publisher
from server.db import make_engine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from tests.conftest import make_settings
from tests.factories import citizen_session, load_residents, run, seed_regions, staff_session
from tests.support.drafts import NOW, draft, resubmitted
from tests.support.softauthn import SoftAuthenticator

ORIGIN = "http://localhost:8000"
HIDDEN_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass
class World:
    client: TestClient
    settings: object
    sql_url: str
    couch: object
    resident: object
    officer: dict

    @property
    def cipher(self) -> PiiCipher:
        return PiiCipher(self.settings.pii_key)


@pytest.fixture
def world(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71",))
    (resident,) = load_residents(sql_url, ("21.71",))
    settings = make_settings(sql_url, fresh_couch, tmp_path, origin=ORIGIN)
    officer = staff_session(sql_url, "field_officer", "21.71")
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(officer)
        yield World(client, settings, sql_url, fresh_couch, resident, officer)


def assisted(resident, **applicant) -> dict:
    doc = draft()
    doc["applicant"] = {
        "kind": "assisted", "nik": resident.nik, "name": resident.full_name, "birth_date": resident.birth_date.isoformat(),
        "identity_check": {"ktp_seen": True, "at": NOW, "place": "Balai Desa Sukamaju", "photo": None},
        "consent": {"given": True, "text_version": "persetujuan-v1", "at": NOW, "signature": None},
        **applicant,
    }
    return doc


def put(w: World, doc: dict):
    return w.client.put("/sync/me/" + quote(doc["_id"], safe=""), json=doc)


def work(w: World) -> None:
    """The worker, run until nothing is left: ingest with the registry check, then publish."""

    async def go():
        engine = make_engine(w.sql_url)
        couch = w.couch.client()
        try:
            ingestor = Ingestor(engine, couch, CatalogRules(), applicants=ApplicantCheck(LocalRegistry(engine), w.cipher))
            publisher = Publisher(engine, couch)
            while (await ingestor.run_once()).databases:
                pass
            while (await publisher.run_once()).rows:
                pass
        finally:
            await couch.aclose()
            await engine.dispose()

    run(go())


def status(w: World, db: str, doc: dict) -> dict | None:
    async def go():
        couch = w.couch.client()
        try:
            return await couch.get_doc(db, status_id(doc["_id"]))
        finally:
            await couch.aclose()

    return run(go())


def applications(w: World) -> list[Application]:
    async def go():
        engine = make_engine(w.sql_url)
        try:
            async with AsyncSession(engine) as session:
                return list(await session.exec(select(Application)))
        finally:
            await engine.dispose()

    return run(go())


def file_one(w: World) -> tuple[dict, Application]:
    doc = assisted(w.resident)
    assert put(w, doc).status_code == 201
    work(w)
    (app,) = applications(w)
    return doc, app


# --- the gateway -----------------------------------------------------------------------------


def test_a_citizen_cannot_write_an_assisted_draft(world):
    world.client.set_session_data(citizen_session(world.sql_url, world.settings.pii_key))
    doc = assisted(world.resident)
    r = put(world, doc)
    assert r.status_code == 403 and r.json()["code"] == "sync.assisted_not_allowed", r.text
    r = world.client.post("/sync/me/_bulk_docs", json={"docs": [doc, draft()]})
    assert r.status_code == 201
    rows = r.json()
    assert rows[0]["code"] == "sync.assisted_not_allowed" and rows[0]["error"] == "forbidden"
    assert "petugas lapangan" in rows[0]["reason"] and "ok" in rows[1]


def test_a_field_officer_writes_assisted_drafts_only_well_formed(world):
    assert put(world, assisted(world.resident)).status_code == 201
    for broken in ({"nik": "12345"}, {"consent": {"given": False, "text_version": "v1", "at": NOW, "signature": None}},
                   {"identity_check": {"ktp_seen": False, "at": NOW, "place": "Balai Desa", "photo": None}}, {"ibu_kandung": "X"}):
        r = put(world, assisted(world.resident, **broken))
        assert r.status_code == 400 and r.json()["code"] == "sync.doc_invalid", (broken, r.text)
    unfinished = assisted(world.resident, nik="3171")
    unfinished.update(state="draft", submission_id=None, submitted_at=None)
    assert put(world, unfinished).status_code == 201  # still being filled in on the officer's phone


# --- ingest ------------------------------------------------------------------------------------


def test_an_assisted_draft_becomes_an_application_with_the_nik_only_encrypted(world, caplog):
    caplog.set_level(logging.DEBUG)
    doc, app = file_one(world)
    nik = world.resident.nik
    assert (app.applicant_kind, app.filed_by, app.account_id) == ("assisted", world.officer["account"], world.officer["account"])
    assert app.applicant_nik_hash == world.cipher.lookup_hash("nik", nik)
    assert app.applicant_birth_date == world.resident.birth_date
    assert world.cipher.decrypt(app.applicant["nik_cipher"]) == nik and nik not in json.dumps(app.applicant)
    assert app.applicant["consent"]["given"] is True and app.applicant["identity_check"]["place"] == "Balai Desa Sukamaju"
    assert len(app.check_code) == 6 and set(app.check_code) <= set(CHECK_ALPHABET)
    mine = status(world, userdb_name(world.officer["account"]), doc)
    assert (mine["state"], mine["tracking_number"], mine["check_code"]) == ("received", app.tracking_number, app.check_code)
    assert caplog.records
    for record in caplog.records:
        assert nik not in record.getMessage()


def test_a_registry_mismatch_or_a_bad_nik_makes_the_submission_invalid_under_applicant(world):
    for applicant in ({"name": "BUKAN NAMANYA"}, {"nik": "0000000000000000"}):
        doc = assisted(world.resident, **applicant)
        assert put(world, doc).status_code == 201
        work(world)
        found = status(world, userdb_name(world.officer["account"]), doc)
        assert found["state"] == "invalid" and APPLICANT in found["errors"], found
        assert "KTP" in found["errors"][APPLICANT] and "check_code" not in found
    assert applications(world) == []


def grant_field_officer(w: World, region: str) -> None:
    from identity.models import RoleGrant

    async def go():
        engine = make_engine(w.sql_url)
        try:
            async with AsyncSession(engine) as session:
                session.add(RoleGrant(account_id=w.officer["account"], role="field_officer", region_code=region))
                await session.commit()
        finally:
            await engine.dispose()

    run(go())


def test_an_officer_files_only_in_a_region_where_they_hold_the_grant(world):
    seed_regions(world.sql_url, world.couch, ("21.72",))  # the service is published there too
    doc = assisted(world.resident)
    doc["region_code"] = "21.72"
    assert put(world, doc).status_code == 201
    work(world)
    found = status(world, userdb_name(world.officer["account"]), doc)
    assert found["state"] == "invalid" and set(found["errors"]) == {APPLICANT}, found
    assert "21.72" in found["errors"][APPLICANT] and "petugas lapangan" in found["errors"][APPLICANT]
    assert not found.get("tracking_number") and applications(world) == []

    grant_field_officer(world, "21.72")  # the region's admin gives access; the officer sends again
    current = world.client.get("/sync/me/" + quote(doc["_id"], safe="")).json()
    assert put(world, {**resubmitted(doc), "_rev": current["_rev"]}).status_code == 201
    work(world)
    (app,) = applications(world)
    assert (app.region_code, app.applicant_kind, app.state) == ("21.72", "assisted", "received")


def test_a_self_application_records_who_it_is_for(world):
    session = citizen_session(world.sql_url, world.settings.pii_key, nik=world.resident.nik)
    world.client.set_session_data(session)
    assert put(world, draft()).status_code == 201
    work(world)
    (app,) = applications(world)
    assert (app.applicant_kind, app.filed_by, app.check_code) == ("self", None, None)
    assert app.applicant_nik_hash == world.cipher.lookup_hash("nik", world.resident.nik)


# --- the person it was filed for -----------------------------------------------------------------


def test_a_citizen_enrolled_before_sees_the_application_and_its_later_changes(world):
    citizen = citizen_session(world.sql_url, world.settings.pii_key, nik=world.resident.nik)
    doc, app = file_one(world)
    theirs = status(world, userdb_name(citizen["account"]), doc)
    assert theirs is not None, "the applicant's database gets the status doc"
    assert theirs["_id"] == status_id(doc["_id"]) and theirs["state"] == "received"
    assert theirs["assisted_by"] == "Petugas field_officer"
    assert (theirs["service_id"], theirs["region_code"], theirs["tracking_number"]) == ("adminduk-kk", "21.71", app.tracking_number)

    world.client.set_session_data(staff_session(world.sql_url, "agency_operator", "21.71", agency_kind="disdukcapil"))
    r = world.client.post(f"/api/wilayah/21.71/permohonan/{app.tracking_number}/tindakan", json={"action": "request_revision",
                                                                                                 "note": "Foto KK buram."})
    assert r.status_code == 200, r.text
    work(world)
    assert status(world, userdb_name(world.officer["account"]), doc)["state"] == "needs_revision"
    theirs = status(world, userdb_name(citizen["account"]), doc)
    assert theirs["state"] == "needs_revision" and "Petugas lapangan" in theirs["next_step"]


def test_a_citizen_enrolling_after_gets_the_application_on_enrolment(world):
    doc, app = file_one(world)
    world.client.set_session_data({})
    r = world.client.post("/api/identity/enroll/start", json={
        "nik": world.resident.nik, "full_name": world.resident.full_name, "birth_date": world.resident.birth_date.isoformat(),
        "birth_place": world.resident.birth_place})
    assert r.status_code == 200, r.text
    r = world.client.post("/api/identity/enroll/finish", json={"credential": SoftAuthenticator(origin=ORIGIN).create(r.json())})
    assert r.status_code == 201, r.text
    account = world.client.get("/api/identity/me").json()["account"]["id"]
    assert world.client.get("/sync/me").status_code == 200  # the app's first sync makes the database
    work(world)
    theirs = status(world, userdb_name(account), doc)
    assert theirs is not None and theirs["tracking_number"] == app.tracking_number and theirs["assisted_by"]


# --- /lacak ------------------------------------------------------------------------------------


def lacak(w: World, number: str, birth_date: str):
    page = w.client.get("/lacak")
    token = HIDDEN_TOKEN.search(page.text)[1]
    return w.client.post("/lacak", data={"_csrf_token": token, "nomor": number, "tanggal_lahir": birth_date})


def test_lacak_answers_the_status_for_the_right_pair_and_one_not_found_otherwise(world):
    _, app = file_one(world)
    world.client.set_session_data({})
    born = world.resident.birth_date
    r = lacak(world, app.tracking_number.lower(), born.isoformat())
    assert r.status_code == 200 and "Diterima" in r.text and "Langkah berikutnya" in r.text, r.text
    assert world.resident.full_name not in r.text and world.resident.nik not in r.text
    wrong = lacak(world, app.tracking_number, born.replace(year=born.year - 1).isoformat())
    unknown = lacak(world, "MPP-2171-2026-999999", born.isoformat())
    for other in (wrong, unknown):
        assert other.status_code == 200 and NOT_FOUND in other.text and "Diterima" not in other.text
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", wrong.text) == strip.sub("", unknown.text)  # the same answer, apart from what was typed

    r = world.client.get("/api/lacak", params={"nomor": app.tracking_number, "tanggal_lahir": born.isoformat()})
    assert r.json()["found"] is True and r.json()["status"]["state"] == "received"
    r = world.client.get("/api/lacak", params={"nomor": app.tracking_number, "tanggal_lahir": "2001-01-01"})
    assert r.json() == {"found": False, "message": NOT_FOUND}


def test_lacak_is_throttled_per_address(world):
    for _ in range(10):
        assert world.client.get("/api/lacak", params={"nomor": "MPP-2171-2026-000001", "tanggal_lahir": "2001-01-01"}).status_code == 200
    r = world.client.get("/api/lacak", params={"nomor": "MPP-2171-2026-000002", "tanggal_lahir": "2001-01-01"})
    assert r.status_code == 429 and r.json()["code"] == "identity.too_many_attempts"
    page = world.client.get("/lacak")
    token = HIDDEN_TOKEN.search(page.text)[1]
    r = world.client.post("/lacak", data={"_csrf_token": token, "nomor": "X", "tanggal_lahir": "2001-01-01"})
    assert r.status_code == 429 and "Terlalu banyak percobaan" in r.text


def test_no_outbox_row_is_left_behind(world):
    citizen = citizen_session(world.sql_url, world.settings.pii_key, nik=world.resident.nik)
    file_one(world)

    async def go():
        engine = make_engine(world.sql_url)
        try:
            async with AsyncSession(engine) as session:
                return list(await session.exec(select(Outbox)))
        finally:
            await engine.dispose()

    rows = run(go())
    assert {r.db_name for r in rows} == {userdb_name(world.officer["account"]), userdb_name(citizen["account"])}
    assert all(r.done_at is not None for r in rows)
