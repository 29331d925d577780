"""`/sync/me`: a signed-in person replicates their own database through the gateway, and
nothing else — every probe below is refused with its status and stable code, and what is
allowed speaks the replication protocol PouchDB uses (recipes §4), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, unquote

import httpx
import pytest
from litestar.testing import TestClient

from identity.models import Device, utcnow
from server.accounts.sessions import session_config
from server.app import create_app
from server.catalog.models import Region
from sync.drafts import userdb_name
from sync.models import Application, IngestCursor
from sync.userdb import DESIGN_DOC, DESIGN_ID
from tests.conftest import make_settings
from tests.factories import _with_session, citizen_session, load_residents, run, staff_session
from tests.support.drafts import draft
from tests.support.phone import device
from tests.support.softauthn import SoftAuthenticator

ORIGIN = "http://localhost:8000"


@dataclass
class World:
    client: TestClient
    settings: object
    sql_url: str
    couch: object
    session: dict

    @property
    def account(self) -> str:
        return self.session["account"]

    @property
    def db(self) -> str:
        return userdb_name(self.account)

    def couch_get(self, path: str, **params) -> httpx.Response:
        return httpx.get(f"{self.couch.db_url(self.db)}{path}", params=params, auth=(self.couch.user, self.couch.password), timeout=10)


@pytest.fixture
def world(sql_url, fresh_couch, tmp_path):
    settings = make_settings(sql_url, fresh_couch, tmp_path, origin=ORIGIN)
    session = citizen_session(sql_url, settings.pii_key)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(session)
        yield World(client, settings, sql_url, fresh_couch, session)


def doc_path(doc_id: str) -> str:
    return "/sync/me/" + quote(doc_id, safe="")


def put_draft(w: World, doc: dict) -> dict:
    r = w.client.put(doc_path(doc["_id"]), json=doc)
    assert r.status_code == 201, r.text
    doc["_rev"] = r.json()["rev"]
    return doc


def hold(w: World, doc: dict, state: str) -> None:
    """The server holds an application for this draft, in `state`."""

    async def go(session, engine):
        if await session.get(Region, "21.71") is None:
            session.add(Region(code="21.71", name="Kota Batam", kind="kota", province_code="21", province_name="Kepulauan Riau"))
        session.add(Application(draft_id=doc["_id"], account_id=w.account, region_code="21.71", service_id=doc["service_id"],
                                service_version=doc["service_version"], tracking_number=f"MPP-2171-2026-{uuid.uuid4().int % 10**6:06d}",
                                state=state, submission_id=doc["submission_id"] or str(uuid.uuid4())))
        await session.commit()

    run(_with_session(w.sql_url, go))


def marks(w: World) -> int:
    async def go(session, engine):
        row = await session.get(IngestCursor, w.db)
        return row.marks if row else 0

    return run(_with_session(w.sql_url, go))


def as_replication(doc: dict, rev: str) -> dict:
    """The doc as PouchDB's replicator sends it with `new_edits: false`."""
    start, rev_hash = rev.split("-", 1)
    return {**doc, "_rev": rev, "_revisions": {"start": int(start), "ids": [rev_hash]}}


def assert_refused(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert body["code"] == code, body
    assert body["message"] and "details" in body


# --- the probe set: each denied with the right status and code ----------------------------------

DRAFT_ID = "draft:" + str(uuid.UUID(int=1))
STATUS_ID = "status:" + str(uuid.UUID(int=1))
OTHER_DB = "userdb-" + "ab" * 16

PROBES = [
    # another person's database, or anything outside /sync/me and /sync/catalog
    ("GET", f"/sync/{OTHER_DB}", None, 404, "sync.not_found"),
    ("GET", f"/sync/{OTHER_DB}/_all_docs", None, 404, "sync.not_found"),
    ("POST", f"/sync/{OTHER_DB}/_bulk_docs", {"docs": []}, 404, "sync.not_found"),
    ("GET", f"/sync/me/{OTHER_DB}", None, 404, "sync.not_found"),
    ("GET", "/sync/_all_dbs", None, 404, "sync.not_found"),
    ("GET", "/sync/_users/_all_docs", None, 404, "sync.not_found"),
    ("GET", "/sync/_config", None, 404, "sync.not_found"),
    ("POST", "/sync/_session", {"name": "a", "password": "b"}, 404, "sync.not_found"),
    ("GET", "/sync/me/_all_dbs", None, 403, "sync.server_only"),
    ("GET", "/sync/me/_users", None, 403, "sync.server_only"),
    ("GET", "/sync/me/_config", None, 403, "sync.server_only"),
    ("GET", "/sync/me/_session", None, 403, "sync.server_only"),
    # catalog writes
    ("PUT", "/sync/catalog/21.71/service%3Aadminduk-kk%3A1", {"x": 1}, 403, "sync.read_only"),
    ("POST", "/sync/catalog/21.71/_bulk_docs", {"docs": []}, 403, "sync.read_only"),
    # design docs, security, queries, maintenance
    ("PUT", "/sync/me/_design/mpp", {"validate_doc_update": "function(){}"}, 403, "sync.server_only"),
    ("GET", "/sync/me/_design/mpp", None, 403, "sync.server_only"),
    ("DELETE", "/sync/me/_design/mpp", None, 403, "sync.server_only"),
    ("GET", "/sync/me/_security", None, 403, "sync.server_only"),
    ("PUT", "/sync/me/_security", {"members": {"names": ["x"]}}, 403, "sync.server_only"),
    ("POST", "/sync/me/_find", {"selector": {}}, 403, "sync.server_only"),
    ("POST", "/sync/me/_index", {"index": {"fields": ["a"]}}, 403, "sync.server_only"),
    ("POST", "/sync/me/_explain", {"selector": {}}, 403, "sync.server_only"),
    ("POST", "/sync/me/_purge", {DRAFT_ID: ["1-a"]}, 403, "sync.server_only"),
    ("POST", "/sync/me/_compact", {}, 403, "sync.server_only"),
    # the database itself
    ("PUT", "/sync/me", None, 403, "sync.server_only"),
    ("DELETE", "/sync/me", None, 403, "sync.server_only"),
    ("POST", "/sync/me", {"_id": DRAFT_ID}, 405, "sync.method_not_allowed"),
    # status docs are the server's
    ("PUT", doc_path(STATUS_ID), {"type": "status", "state": "approved"}, 403, "sync.server_owned"),
    ("DELETE", doc_path(STATUS_ID) + "?rev=1-a", None, 403, "sync.server_owned"),
    # only draft:<uuid> docs, no attachments
    ("PUT", "/sync/me/catatan", {"x": 1}, 403, "sync.doc_not_allowed"),
    ("PUT", "/sync/me/draft%3Abukan-uuid", {"x": 1}, 403, "sync.doc_not_allowed"),
    ("PUT", doc_path(DRAFT_ID) + "/foto.jpg", None, 403, "sync.attachment_refused"),
    ("GET", doc_path(DRAFT_ID) + "/foto.jpg", None, 403, "sync.attachment_refused"),
    ("GET", "/sync/me/catatan", None, 404, "sync.not_found"),
    # path tricks
    ("GET", "/sync/me/%2E%2E/" + OTHER_DB, None, 400, "sync.path_invalid"),
    ("GET", "/sync/me/draft%3Ax%2F..%2F..%2F" + OTHER_DB, None, 400, "sync.path_invalid"),
    ("GET", "/sync/me/_local%2Fx", None, 400, "sync.path_invalid"),
    ("GET", "/sync/me/draft%5Cx", None, 400, "sync.path_invalid"),
    # feeds and filters a device has no use for
    ("GET", "/sync/me/_changes?feed=eventsource", None, 400, "sync.query_refused"),
    ("GET", "/sync/me/_changes?filter=mpp/semua", None, 400, "sync.query_refused"),
    ("GET", "/sync/me/_changes?filter=_view&view=mpp/x", None, 400, "sync.query_refused"),
    ("GET", "/sync/me/_bulk_docs", None, 405, "sync.method_not_allowed"),
    ("POST", "/sync/me/_bulk_get", {"docs": [{"id": DESIGN_ID}]}, 404, "sync.not_found"),
    ("GET", "/sync/me/_unknown", None, 404, "sync.not_found"),
]


def test_the_gateway_refuses_each_probe_with_its_status_and_code_and_nothing_reaches_couchdb(world):
    wrong = []
    for method, path, body, status, code in PROBES:
        r = world.client.request(method, path, json=body)
        got = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
        if (r.status_code, got.get("code")) != (status, code) or not got.get("message") or "details" not in got:
            wrong.append(f"{method} {path}: {r.status_code} {got.get('code')} (expected {status} {code})")
    assert not wrong, "\n".join(wrong)
    assert len(PROBES) >= 25
    auth = (world.couch.user, world.couch.password)
    assert httpx.get(world.couch.db_url(OTHER_DB), auth=auth, timeout=10).status_code == 404
    assert world.couch_get("/_security").json()["members"] == {"names": [], "roles": ["_admin"]}
    design = world.couch_get("/" + DESIGN_ID)
    if design.status_code == 200:  # Apache CouchDB: the validation is there, untouched
        assert {k: v for k, v in design.json().items() if k != "_rev"} == DESIGN_DOC and design.json()["_rev"].startswith("1-")
    assert stored_ids(world) == set()
    assert marks(world) == 0


def test_literal_dot_segments_in_the_raw_path_are_refused(world):
    """HTTP clients resolve `..` before sending; a hostile one need not, so the app is called as
    a server would call it, with the raw path untouched."""
    cookie = f"mpp_session={world.client.cookies['mpp_session']}".encode()

    async def call(raw_path: str) -> tuple[int, dict]:
        sent: list[dict] = []
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                 "path": unquote(raw_path), "raw_path": raw_path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"testserver"), (b"cookie", cookie)], "client": ("127.0.0.1", 1), "server": ("testserver", 80)}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await world.client.app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], json.loads(body)

    for raw in (f"/sync/me/../{OTHER_DB}/_all_docs", "/sync/me/./_all_docs", f"/sync/me/_local/../../{OTHER_DB}"):
        status, body = world.client.blocking_portal.call(call, raw)
        assert (status, body["code"]) == (400, "sync.path_invalid"), (raw, status, body)


def test_without_a_session_the_device_is_asked_to_sign_in(world):
    world.client.set_session_data({})
    for method, path in (("GET", "/sync/me"), ("GET", "/sync/me/_changes"), ("POST", "/sync/me/_bulk_docs")):
        assert_refused(world.client.request(method, path, json={"docs": []} if method == "POST" else None), 401, "auth.required")


def test_an_ended_session_is_a_401_and_the_device_keeps_its_work(world):
    world.client.cookies.clear()
    world.client.cookies.set("mpp_session", "sesi-yang-sudah-dihapus")
    assert_refused(world.client.post("/sync/me/_bulk_docs", json={"docs": [draft()]}), 401, "auth.required")
    world.client.cookies.clear()
    world.client.set_session_data({**world.session, "device": "f" * 32})  # a device that is no longer there
    assert_refused(world.client.get("/sync/me/_changes"), 401, "auth.session_revoked")


def test_a_revoked_device_gets_401_session_revoked(world):
    async def revoke(session, engine):
        device = await session.get(Device, world.session["device"])
        device.revoked_at = utcnow()
        session.add(device)
        await session.commit()

    assert world.client.get("/sync/me").status_code == 200
    run(_with_session(world.sql_url, revoke))
    r = world.client.post("/sync/me/_bulk_docs", json={"docs": [draft()]})
    assert_refused(r, 401, "auth.session_revoked")
    assert stored_ids(world) == set()


def test_signing_out_ends_replication_at_once_even_for_reads(world):
    """Replication reads reuse a just-loaded identity for a few seconds; signing out (or revoking
    the device) through this app forgets it immediately."""
    assert world.client.get("/sync/me/_changes?style=all_docs&since=0").status_code == 200
    kept = world.client.cookies.get("mpp_session")  # a copy of the cookie, as a thief would keep it
    assert kept and world.client.post("/api/identity/logout").status_code == 200
    world.client.cookies.set("mpp_session", kept)
    assert world.client.get("/sync/me/_changes?style=all_docs&since=0").status_code == 401


def test_field_officers_have_a_database_of_their_own_other_staff_do_not(world):
    officer = staff_session(world.sql_url, "field_officer", None)
    world.client.set_session_data(officer)
    r = world.client.get("/sync/me")
    assert r.status_code == 200 and r.json()["db_name"] == userdb_name(officer["account"]), r.text
    for role in ("agency_operator", "region_admin", "national_monitor"):
        world.client.set_session_data(staff_session(world.sql_url, role, None))
        assert_refused(world.client.get("/sync/me"), 403, "auth.forbidden")


def test_a_write_from_another_site_is_refused(world):
    r = world.client.post("/sync/me/_bulk_docs", json={"docs": [draft()]}, headers={"origin": "https://situs-lain.example"})
    assert_refused(r, 403, "auth.foreign_origin")


# --- documents a device may not write -----------------------------------------------------------


def test_a_single_put_of_a_bad_draft_is_refused_with_the_reason(world):
    doc = draft(state="draft")
    cases = [
        ({**doc, "catatan_rahasia": "x"}, 403, "sync.field_not_allowed"),
        ({**doc, "_attachments": {"ktp.jpg": {"content_type": "image/jpeg", "data": "aGFsbw=="}}}, 403, "sync.attachment_refused"),
        ({**doc, "values": {"catatan": "x" * 70_000}}, 413, "sync.doc_too_large"),
        ({**doc, "state": "approved"}, 400, "sync.doc_invalid"),
        ({**doc, "_id": "draft:" + str(uuid.uuid4())}, 400, "sync.doc_invalid"),
        ({k: v for k, v in doc.items() if k != "values"}, 400, "sync.doc_invalid"),
    ]
    for body, status, code in cases:
        assert_refused(world.client.put(doc_path(doc["_id"]), json=body), status, code)
    r = world.client.put(doc_path(doc["_id"]), json={**doc, "catatan_rahasia": "x"})
    assert "catatan_rahasia" in r.json()["details"]["fields"]
    r = world.client.put(doc_path(doc["_id"]), json={**doc, "values": {"catatan": "x" * 70_000}})
    assert r.json()["details"]["limit_kb"] == 64 and "64 KB" in r.json()["message"]
    assert world.couch_get(doc_path(doc["_id"])[len("/sync/me"):]).status_code == 404


def test_malformed_json_and_oversized_bodies_get_clear_codes(world):
    headers = {"content-type": "application/json"}
    assert_refused(world.client.post("/sync/me/_bulk_docs", content=b'{"docs": [', headers=headers), 400, "sync.body_invalid")
    assert_refused(world.client.post("/sync/me/_bulk_docs", content=b'{"docs": [NaN]}', headers=headers), 400, "sync.body_invalid")
    assert_refused(world.client.post("/sync/me/_bulk_docs", content=b'{"docs": [1e999]}', headers=headers), 400, "sync.body_invalid")
    assert_refused(world.client.post("/sync/me/_bulk_docs", content=b'\xff\xfe', headers=headers), 400, "sync.body_invalid")
    assert_refused(world.client.post("/sync/me/_bulk_docs", json={"docs": [], "all_or_nothing": True}), 400, "sync.body_invalid")
    assert_refused(world.client.post("/sync/me/_revs_diff", content=b"[" * 100_000, headers=headers), 400, "sync.body_invalid")
    big = json.dumps({"docs": [draft(values={"catatan": "x" * 60_000}) for _ in range(40)]}).encode()
    r = world.client.post("/sync/me/_bulk_docs", content=big, headers=headers)
    assert_refused(r, 413, "sync.too_large")
    assert r.json()["details"]["limit_kb"] == 2048
    assert_refused(world.client.put(doc_path(DRAFT_ID), content=b" " * 200_000, headers=headers), 413, "sync.too_large")
    assert_refused(world.client.put("/sync/me/_local/cek", json={"x": "y" * 70_000}), 413, "sync.too_large")

    def chunks():
        for _ in range(40):
            yield b" " * 60_000  # no content-length: the limit still holds while streaming

    assert_refused(world.client.post("/sync/me/_bulk_docs", content=chunks(), headers=headers), 413, "sync.too_large")


def test_bulk_docs_writes_the_acceptable_docs_and_answers_per_doc_for_the_rest(world):
    good, also_good = draft(), draft(state="draft")
    refused = [
        ({**draft(), "_id": STATUS_ID, "type": "status"}, "sync.server_owned"),
        ({"_id": DESIGN_ID, "validate_doc_update": "function(){}"}, "sync.doc_not_allowed"),
        ({**draft(), "_attachments": {"a.txt": {"content_type": "text/plain", "data": "aGFp"}}}, "sync.attachment_refused"),
        ({**draft(), "rahasia": True}, "sync.field_not_allowed"),
        ({**draft(), "values": {"catatan": "x" * 70_000}}, "sync.doc_too_large"),
        ({**draft(), "_id": "pengaturan"}, "sync.doc_not_allowed"),
        ({**draft(), "_id": "_local/x"}, "sync.doc_not_allowed"),
        ([1, 2], "sync.doc_invalid"),
    ]
    docs = [refused[0][0], good, *[d for d, _ in refused[1:]], also_good]
    before = marks(world)
    r = world.client.post("/sync/me/_bulk_docs", json={"docs": docs})
    assert r.status_code == 201, r.text
    rows = r.json()
    assert len(rows) == len(docs)
    assert rows[1]["id"] == good["_id"] and rows[1]["ok"] is True
    assert rows[-1]["id"] == also_good["_id"] and rows[-1]["ok"] is True
    codes = [row["code"] for row in [rows[0], *rows[2:-1]]]
    assert codes == [code for _, code in refused]
    for row in [rows[0], *rows[2:-1]]:
        assert row["error"] == "forbidden" and row["reason"] and "{" not in row["reason"]
    assert rows[0]["id"] == STATUS_ID and "server" in rows[0]["reason"]
    assert stored_ids(world) == {good["_id"], also_good["_id"]}
    assert marks(world) == before + 1


def test_bulk_docs_with_nothing_acceptable_never_calls_couchdb(world):
    r = world.client.post("/sync/me/_bulk_docs", json={"docs": [{**draft(), "_id": STATUS_ID}], "new_edits": False},
                          headers={"accept-language": "en"})
    assert r.status_code == 201
    assert r.json() == [{"id": STATUS_ID, "error": "forbidden", "code": "sync.server_owned",
                         "reason": "Application statuses are updated by the server only, so changes from a device are not sent. "
                                   "Sync again to see the latest status."}]
    assert marks(world) == 0


def test_a_received_draft_is_locked_but_its_own_submission_may_be_resent(world):
    doc = put_draft(world, draft())
    hold(world, doc, "received")
    # taking it back to edit, withdrawing it and submitting it anew are refused
    edited = {**doc, "state": "draft", "submission_id": None, "values": {**doc["values"], "no_hp": "081200000000"}}
    assert_refused(world.client.put(doc_path(doc["_id"]), json=edited), 403, "sync.draft_locked")
    assert_refused(world.client.delete(doc_path(doc["_id"]) + f"?rev={doc['_rev']}"), 403, "sync.draft_locked")
    resubmitted = {**edited, "state": "submitted", "submission_id": str(uuid.uuid4())}
    r = world.client.post("/sync/me/_bulk_docs", json={"docs": [as_replication(resubmitted, "2-" + "a" * 32)], "new_edits": False})
    assert r.status_code == 201 and r.json()[0]["code"] == "sync.draft_locked"
    deleted = {"_id": doc["_id"], "_rev": "2-" + "b" * 32, "_revisions": {"start": 2, "ids": ["b" * 32]}, "_deleted": True}
    r = world.client.post("/sync/me/_bulk_docs", json={"docs": [deleted], "new_edits": False})
    assert r.json()[0]["code"] == "sync.draft_locked"
    assert world.couch_get(doc_path(doc["_id"])[len("/sync/me"):]).json()["_rev"] == doc["_rev"]
    # a replication retry of the very submission the server holds goes through
    again = world.client.put(doc_path(doc["_id"]), json=doc)
    assert again.status_code == 201, again.text


def test_a_draft_sent_back_for_revision_can_be_edited_and_sent_again(world):
    doc = put_draft(world, draft())
    hold(world, doc, "needs_revision")
    edited = {**doc, "state": "draft", "submission_id": None, "submitted_at": None, "values": {**doc["values"], "no_hp": "081299999999"}}
    r = world.client.put(doc_path(doc["_id"]), json=edited)
    assert r.status_code == 201, r.text
    resent = {**edited, "_rev": r.json()["rev"], "state": "submitted", "submission_id": str(uuid.uuid4())}
    r = world.client.post("/sync/me/_bulk_docs", json={"docs": [resent]})
    assert r.status_code == 201 and r.json()[0]["ok"] is True, r.text


def test_other_people_s_applications_do_not_lock_my_drafts(world):
    doc = put_draft(world, draft())
    other = citizen_session(world.sql_url, world.settings.pii_key, nik="3302015505900002")

    async def held_by_other(session, engine):
        session.add(Region(code="21.71", name="Kota Batam", kind="kota", province_code="21", province_name="Kepulauan Riau"))
        session.add(Application(draft_id=doc["_id"], account_id=other["account"], region_code="21.71", service_id="adminduk-kk",
                                service_version=1, tracking_number="MPP-2171-2026-000999", state="received",
                                submission_id=doc["submission_id"]))
        await session.commit()

    run(_with_session(world.sql_url, held_by_other))
    assert world.client.put(doc_path(doc["_id"]), json={**doc, "state": "draft", "submission_id": None}).status_code == 201


# --- what is allowed: the replication protocol --------------------------------------------------


def test_a_pouchdb_style_round_trip_goes_through_and_tells_the_ingest_worker(world):
    c = world.client
    root = c.get("/sync")
    assert root.status_code == 200 and root.json()["uuid"]
    info = c.get("/sync/me")
    assert info.status_code == 200 and info.json()["db_name"] == world.db
    assert world.couch_get("/_security").json() == {"admins": {"names": [], "roles": ["_admin"]},
                                                    "members": {"names": [], "roles": ["_admin"]}}
    # checkpoint: absent, written, read back, removed
    checkpoint = "/sync/me/_local/" + quote("Zm9v.YmFy_cGF0aA==", safe="")
    assert c.get(checkpoint).status_code == 404
    r = c.put(checkpoint, json={"last_seq": "0", "session_id": "s1", "history": []})
    assert r.status_code == 201, r.text
    assert c.get(checkpoint).json()["session_id"] == "s1"

    # push: revs_diff, then bulk_docs with new_edits false, as PouchDB's replicator does
    doc = draft()
    rev = "1-" + uuid.uuid4().hex
    diff = c.post("/sync/me/_revs_diff", json={doc["_id"]: [rev]})
    assert diff.status_code == 200 and diff.json() == {doc["_id"]: {"missing": [rev]}}
    before = marks(world)
    r = c.post("/sync/me/_bulk_docs", json={"docs": [as_replication(doc, rev)], "new_edits": False})
    assert r.status_code == 201 and r.json() == [], r.text
    assert marks(world) == before + 1
    assert c.post("/sync/me/_revs_diff", json={doc["_id"]: [rev]}).json() == {}

    # a plain PUT of a second draft
    second = put_draft(world, draft(state="draft"))
    assert marks(world) == before + 2

    # pull: changes (without the design doc), bulk_get, a doc with open_revs, all_docs
    changes = c.get("/sync/me/_changes", params={"style": "all_docs", "since": "0", "limit": "100"})
    assert changes.status_code == 200
    ids = [row["id"] for row in changes.json()["results"]]
    assert set(ids) == {doc["_id"], second["_id"]} and DESIGN_ID not in ids
    got = c.post("/sync/me/_bulk_get?revs=true&latest=true", json={"docs": [{"id": doc["_id"], "rev": rev}]})
    assert got.status_code == 200
    fetched = got.json()["results"][0]["docs"][0]["ok"]
    assert fetched["values"] == doc["values"] and fetched["_revisions"]["ids"] == [rev.split("-")[1]]
    open_revs = c.get(doc_path(doc["_id"]), params={"revs": "true", "open_revs": json.dumps([rev]), "latest": "true"})
    assert open_revs.status_code == 200 and open_revs.json()[0]["ok"]["_rev"] == rev
    all_docs = c.get("/sync/me/_all_docs", params={"include_docs": "true"}).json()
    assert {row["id"] for row in all_docs["rows"]} == {doc["_id"], second["_id"]} and all_docs["total_rows"] == 2
    keyed = c.post("/sync/me/_all_docs", json={"keys": [DESIGN_ID, doc["_id"]]}).json()
    assert [row["id"] for row in keyed["rows"] if "error" not in row] == [doc["_id"]]
    filtered = c.post("/sync/me/_changes?filter=_doc_ids", json={"doc_ids": [second["_id"]]})
    assert [row["id"] for row in filtered.json()["results"]] == [second["_id"]]

    # a person deletes an unlocked draft
    r = c.delete(doc_path(second["_id"]) + f"?rev={second['_rev']}")
    assert r.status_code == 200, r.text
    assert marks(world) == before + 3
    assert c.delete(checkpoint + "?rev=" + c.get(checkpoint).json()["_rev"]).status_code == 200


def test_the_server_s_status_docs_come_down_and_can_be_read(world):
    doc = put_draft(world, draft())
    status = {"_id": "status:" + doc["_id"].split(":", 1)[1], "type": "status", "draft_id": doc["_id"], "state": "received"}
    auth = (world.couch.user, world.couch.password)
    assert httpx.post(f"{world.couch.db_url(world.db)}/_bulk_docs", json={"docs": [status]}, auth=auth, timeout=10).status_code == 201
    r = world.client.get(doc_path(status["_id"]))
    assert r.status_code == 200 and r.json()["state"] == "received"
    got = world.client.post("/sync/me/_bulk_get", json={"docs": [{"id": status["_id"]}, {"id": doc["_id"]}]})
    assert [res["docs"][0]["ok"]["_id"] for res in got.json()["results"]] == [status["_id"], doc["_id"]]


def test_one_shot_answers_are_gzipped_and_feeds_are_not(world):
    put_draft(world, draft())
    r = world.client.get("/sync/me/_changes", headers={"accept-encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip" and len(r.json()["results"]) == 1
    raw = world.client.get("/sync/me/_changes?feed=longpoll&since=0", headers={"accept-encoding": "gzip"})
    assert raw.status_code == 200 and "content-encoding" not in raw.headers and len(raw.json()["results"]) == 1


@contextmanager
def served(w: World) -> Iterator[str]:
    """The test app on a real socket, in the app's own event loop (its engine and CouchDB client
    belong to that loop); yields the base URL."""
    import uvicorn

    from sync.embedded import free_port

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(w.client.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = w.client.blocking_portal.start_task_soon(server.serve)
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        serving.result(10)


def later(delay: float, fn, *args) -> threading.Timer:
    timer = threading.Timer(delay, fn, args)
    timer.start()
    return timer


def test_live_feeds_stream_without_the_design_doc(world):
    """Through a real server socket: a continuous feed delivers a change as it happens, and a
    longpoll's heartbeats come through while it waits."""
    first = put_draft(world, draft())
    cookies = {"mpp_session": world.client.cookies["mpp_session"]}
    with served(world) as base, httpx.Client(base_url=base, cookies=cookies, timeout=httpx.Timeout(10, read=10)) as http:
        with http.stream("GET", "/sync/me/_changes", params={"feed": "continuous", "since": "0", "heartbeat": "200"}) as feed:
            lines = feed.iter_lines()
            assert json.loads(next(lines))["id"] == first["_id"]  # the design doc (seq 1) never shows
            second = draft()
            writer = later(0.3, put_draft, world, second)
            change = next(line for line in lines if line.strip())
            assert json.loads(change)["id"] == second["_id"]
            writer.join(10)  # its request finishes (and marks the database) before the app stops
        with http.stream("GET", "/sync/me/_changes", params={"feed": "longpoll", "since": "now", "heartbeat": "200"}) as poll:
            chunks = poll.iter_raw()
            assert next(chunks).strip() == b""  # a heartbeat while nothing changes
            third = draft()
            writer = later(0.3, put_draft, world, third)
            answer = json.loads(b"".join(chunks))
            assert [row["id"] for row in answer["results"]] == [third["_id"]]
            writer.join(10)


def test_pouchdb_replicates_both_ways_and_a_refused_draft_is_denied_not_fatal(world, tmp_path):
    """PouchDB itself (Node, tests/support/device.mjs): drafts go up, a status comes down, the
    design doc never does, and a draft the gateway refuses is reported as denied."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    spec = {"region_code": "21.71", "service_id": "adminduk-kk", "service_version": 1, "values": {"no_hp": "081234567890"}}
    oversized = {**spec, "values": {"catatan": "x" * 70_000}}
    cookie = f"mpp_session={world.client.cookies['mpp_session']}"
    phone = {"dir": str(tmp_path / "phone"), "cookie": cookie, "attempts": 1}
    with served(world) as base:
        up = device({**phone, "remote": base + "/sync/me", "add": [spec] * 3 + [oversized], "push": True})
        assert up["push"] == {"attempts": 1, "docs_written": 3, "doc_write_failures": 1, "denied": 1}, up
        stored = {row["id"] for row in world.couch_get("/_all_docs").json()["rows"]}
        assert len(stored - {DESIGN_ID}) == 3 and stored <= {DESIGN_ID, *up["added"]}
        assert marks(world) >= 1
        first = sorted(stored - {DESIGN_ID})[0]
        status = {"_id": "status:" + first.split(":", 1)[1], "type": "status", "draft_id": first, "state": "received",
                  "tracking_number": "MPP-2171-2026-000001"}
        auth = (world.couch.user, world.couch.password)
        httpx.post(f"{world.couch.db_url(world.db)}/_bulk_docs", json={"docs": [status]}, auth=auth, timeout=10).raise_for_status()
        down = device({**phone, "remote": base + "/sync/me", "pull": True})
    assert down["pull"]["docs_written"] == 1, down  # the status only: neither the design doc nor our own drafts again
    assert [(st["id"], st["state"], st["tracking_number"]) for st in down["statuses"]] == [(status["_id"], "received", "MPP-2171-2026-000001")]
    assert set(down["drafts"]) == set(up["added"])  # the refused draft is still on the device


# --- the person's database ----------------------------------------------------------------------


def test_the_first_request_creates_the_database_with_security_and_validation(world):
    assert world.couch_get("").status_code == 404
    assert world.client.get("/sync/me/_changes").status_code == 200
    assert world.couch_get("/_security").json()["admins"] == {"names": [], "roles": ["_admin"]}
    assert (world.couch_get("/" + DESIGN_ID).status_code == 200) == validation_installed(world)


def test_a_database_removed_behind_the_gateway_s_back_is_made_again(world):
    assert world.client.get("/sync/me").status_code == 200
    httpx.delete(world.couch.db_url(world.db), auth=(world.couch.user, world.couch.password), timeout=10).raise_for_status()
    assert world.client.get("/sync/me").status_code == 404  # PouchDB reports it and retries
    assert world.client.get("/sync/me").status_code == 200
    assert world.couch_get("/_security").json()["members"]["roles"] == ["_admin"]


def test_writes_that_bypass_the_gateway_are_refused_by_the_database_itself(world):
    """Defence in depth: anonymous writes are refused, and even a member of the database (a
    model we do not use today) may write nothing but plain drafts — the validation function."""
    world.client.get("/sync/me")
    install(world)  # on PouchDB Server ensure_userdb leaves it out (sync.couch); its rules are tested here
    admin = (world.couch.user, world.couch.password)
    url = f"{world.couch.db_url(world.db)}/_bulk_docs"
    for doc in (draft(), {**draft(), "_id": STATUS_ID}):
        r = httpx.post(url, json={"docs": [doc]}, timeout=10)
        assert r.status_code in (201, 401, 403), r.text
        assert r.status_code != 201 or r.json()[0]["error"] in ("forbidden", "unauthorized"), r.text
    name = world.couch.prefix + "anggota-" + uuid.uuid4().hex[:8]  # the run's prefix: removed below, and findable if not
    users = f"{world.couch.url}/_users/org.couchdb.user:{name}"
    r = httpx.put(users, json={"name": name, "password": "sandi-uji", "roles": [], "type": "user"}, auth=admin, timeout=10)
    assert r.status_code in (201, 202), r.text
    try:
        security = {"admins": {"names": [], "roles": ["_admin"]}, "members": {"names": [name], "roles": ["_admin"]}}
        assert httpx.put(f"{world.couch.db_url(world.db)}/_security", json=security, auth=admin, timeout=10).status_code == 200
        member = (name, "sandi-uji")
        refused = [{**draft(), "_id": STATUS_ID}, {**draft(), "_id": "pengaturan"},
                   {**draft(), "_attachments": {"a.txt": {"content_type": "text/plain", "data": "aGFp"}}}, {**draft(), "type": "lain"}]
        for doc in refused:
            r = httpx.post(url, json={"docs": [doc]}, auth=member, timeout=10)
            assert r.json()[0]["error"] == "forbidden", (doc["_id"], r.text)
        r = httpx.post(url, json={"docs": [draft()]}, auth=member, timeout=10)
        assert r.json()[0].get("ok") is True, r.text
        assert len(stored_ids(world)) == 1
        # a member may not change who else gets in (PouchDB Server: 401; Apache CouchDB 3.5: 403, or 500 no_majority)
        r = httpx.put(f"{world.couch.db_url(world.db)}/_security", json={"members": {"names": [name, "lain"]}}, auth=member, timeout=10)
        assert r.status_code in (401, 403, 500), r.text
        assert world.couch_get("/_security").json()["members"]["names"] == [name]
    finally:
        rev = httpx.get(users, auth=admin, timeout=10).json().get("_rev")
        if rev:
            httpx.delete(users, params={"rev": rev}, auth=admin, timeout=10)


def test_installing_the_validation_is_idempotent_and_updates_an_outdated_one(world):
    from sync.userdb import ensure_userdb, install_validation

    async def go():
        couch = world.couch.client()
        try:
            await ensure_userdb(couch, world.account)
            await install_validation(couch, world.db)
            first = await couch.get_doc(world.db, DESIGN_ID)
            await install_validation(couch, world.db)
            assert (await couch.get_doc(world.db, DESIGN_ID))["_rev"] == first["_rev"]
            await couch.bulk_docs(world.db, [{**first, "validate_doc_update": "function(){}"}])
            await install_validation(couch, world.db)
            now = await couch.get_doc(world.db, DESIGN_ID)
            assert now["validate_doc_update"] == DESIGN_DOC["validate_doc_update"] and now["_rev"].startswith("3-")
        finally:
            await couch.aclose()

    run(go())


def test_enrolment_prepares_the_person_s_database(sql_url, fresh_couch, tmp_path):
    (resident,) = load_residents(sql_url, ("21.71",))
    settings = make_settings(sql_url, fresh_couch, tmp_path, origin=ORIGIN)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        r = client.post("/api/identity/enroll/start", json={"nik": resident.nik, "full_name": resident.full_name,
                                                            "birth_date": resident.birth_date.isoformat(), "birth_place": resident.birth_place})
        assert r.status_code == 200, r.text
        r = client.post("/api/identity/enroll/finish", json={"credential": SoftAuthenticator(origin=ORIGIN).create(r.json())})
        assert r.status_code == 201, r.text
        db = userdb_name(r.json()["account"]["id"])
    auth = (fresh_couch.user, fresh_couch.password)
    assert httpx.get(f"{fresh_couch.db_url(db)}/_security", auth=auth, timeout=10).json()["members"]["roles"] == ["_admin"]
    assert httpx.get(fresh_couch.db_url(db), auth=auth, timeout=10).status_code == 200


def test_the_validation_function_is_installed_only_where_replicated_updates_survive_it(world):
    """PouchDB Server's validation plugin swaps in the stored `_revisions`: with a validation
    function installed, a `new_edits: false` update answers 201 and stores nothing. Proved here,
    and why ensure_userdb installs it on Apache CouchDB only — where the same update is stored
    with the function in place."""
    world.client.get("/sync/me")
    apache = world.couch.apache
    assert validation_installed(world) == apache
    admin = (world.couch.user, world.couch.password)
    url = f"{world.couch.db_url(world.db)}/_bulk_docs"
    doc = draft()
    first = httpx.post(url, json={"docs": [doc]}, auth=admin, timeout=10).json()[0]["rev"]

    def child(tag: str, parent: str) -> dict:
        n = int(parent.split("-")[0]) + 1
        rev = f"{n}-{tag * 32}"
        return {**doc, "_rev": rev, "state": "draft", "values": {"catatan": tag},
                "_revisions": {"start": n, "ids": [tag * 32, parent.split("-")[1]]}}

    httpx.post(url, json={"docs": [child("a", first)], "new_edits": False}, auth=admin, timeout=10)
    assert world.couch_get(f"/{doc['_id']}").json()["values"] == {"catatan": "a"}  # without it, stored
    install(world)
    httpx.post(url, json={"docs": [child("b", f"2-{'a' * 32}")], "new_edits": False}, auth=admin, timeout=10)
    # PouchDB Server drops the update; Apache CouchDB stores it with the validation function in place
    assert world.couch_get(f"/{doc['_id']}").json()["values"] == {"catatan": "b" if apache else "a"}


def stored_ids(world) -> set[str]:
    """Documents in the person's database, leaving out the validation design doc."""
    return {row["id"] for row in world.couch_get("/_all_docs").json()["rows"]} - {DESIGN_ID}


def validation_installed(world) -> bool:
    return world.couch_get("/" + DESIGN_ID).status_code == 200


def install(world) -> None:
    from sync.userdb import install_validation

    async def go():
        couch = world.couch.client()
        try:
            await install_validation(couch, world.db)
        finally:
            await couch.aclose()

    run(go())


def test_a_deleted_session_row_cannot_be_replayed(world):
    """Signing out ends the session: the old cookie cannot be used to replicate."""
    cookie = world.client.cookies["mpp_session"]
    assert world.client.post("/api/identity/logout").status_code == 200
    world.client.cookies.clear()
    world.client.cookies.set("mpp_session", cookie)
    r = world.client.get("/sync/me/_changes")
    assert r.status_code == 401 and r.json()["code"] in ("auth.required", "auth.session_revoked")
