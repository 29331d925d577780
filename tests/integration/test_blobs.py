"""`/blobs/`: resumable, content-addressed uploads of photos and documents (TUS 1.0 core,
creation, termination) by a signed-in person, every refusal with its status and stable code,
and "received means complete": an application naming a photo not yet uploaded waits, and
moves to "received" (with its due date and a status doc) once the last one arrives.
On SQLite and PostgreSQL, against the real PouchDB Server."""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

import httpx
import pytest
from litestar.testing import TestClient
from sqlmodel import select

from server.accounts.sessions import session_config
from server.app import create_app
from sync.drafts import userdb_name
from sync.models import Application, ApplicationEvent, Blob, BlobOwner, Upload, WorkflowStep
from sync.userdb import ensure_userdb
from tests.conftest import make_settings
from tests.factories import citizen_session, seed_regions
from tests.support.drafts import Stores, draft, with_stores

ORIGIN = "http://localhost:8000"
TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = 256 * 1024


def jpeg(size: int, seed: int = 0) -> bytes:
    """Bytes that sniff as a JPEG (SOI + APP0 marker) and compress like a photo: random."""
    rng = hashlib.sha256(str(seed).encode()).digest()
    body = bytearray()
    while len(body) < size:
        rng = hashlib.sha256(rng).digest()
        body += rng * 4
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(body))[: size - 2] + b"\xff\xd9"


PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(3000)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>" + b" " * 2000


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


@pytest.fixture
def world(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71",))
    settings = make_settings(sql_url, fresh_couch, tmp_path, origin=ORIGIN)
    session = citizen_session(sql_url, settings.pii_key)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.headers["origin"] = ORIGIN
        client.set_session_data(session)
        yield World(client, settings, sql_url, fresh_couch, session)


def metadata(**pairs: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def create(w: World, data: bytes, mime: str = "image/jpeg", sha256: str | None = None, length: int | None = None,
           field: str = "pas_foto") -> httpx.Response:
    return w.client.post("/blobs/uploads", headers={**TUS, "Upload-Length": str(len(data) if length is None else length),
                                                    "Upload-Metadata": metadata(sha256=sha256 or hashlib.sha256(data).hexdigest(),
                                                                                mime=mime, field=field, filename="foto.jpg")})


def patch(w: World, url: str, offset: int, body: bytes) -> httpx.Response:
    return w.client.patch(url, content=body, headers={**TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})


def send(w: World, data: bytes, **kw) -> httpx.Response:
    """Create and send in 256 KB chunks; the last PATCH's answer."""
    r = create(w, data, **kw)
    assert r.status_code == 201, r.text
    url, offset = r.headers["location"], 0
    while True:
        r = patch(w, url, offset, data[offset:offset + CHUNK])
        if r.status_code != 204:
            return r
        offset = int(r.headers["upload-offset"])
        if offset == len(data):
            return r


def refused(r: httpx.Response, status: int, code: str) -> dict:
    assert (r.status_code, r.headers.get("tus-resumable")) == (status, "1.0.0"), (r.status_code, r.text, dict(r.headers))
    body = r.json()
    assert body["code"] == code and body["message"], body
    return body


def rows(w: World, model, *where):
    return with_stores(w.sql_url, w.couch, lambda s: s.rows(model, *where))


def stored(w: World, sha256: str) -> bytes:
    path = w.settings.blob_dir / "sha256" / sha256[:2] / sha256[2:4] / sha256
    return path.read_bytes()


# --- the protocol -----------------------------------------------------------------------------------


def test_options_says_tus_1_0_with_creation_termination_and_the_size_limit(world):
    r = world.client.options("/blobs/uploads")
    assert r.status_code in (200, 204)
    assert (r.headers["tus-resumable"], r.headers["tus-version"], r.headers["tus-extension"], r.headers["tus-max-size"]) == (
        "1.0.0", "1.0.0", "creation,termination", str(5 * 1024 * 1024))


def test_a_photo_sent_in_chunks_is_stored_once_under_its_sha256_and_read_back_by_its_owner(world):
    data = jpeg(700_000)
    sha = hashlib.sha256(data).hexdigest()
    assert world.client.head(f"/blobs/{sha}").status_code == 404  # the device asks first
    r = send(world, data)
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data)) and r.headers["tus-resumable"] == "1.0.0"
    assert stored(world, sha) == data
    (blob,) = rows(world, Blob)
    assert (blob.sha256, blob.size, blob.mime) == (sha, len(data), "image/jpeg")
    assert [(o.account_id, o.sha256) for o in rows(world, BlobOwner)] == [(world.account, sha)]
    (upload,) = rows(world, Upload)
    assert upload.completed_at is not None and upload.offset == len(data)
    assert world.client.head(f"/blobs/{sha}").status_code == 200
    got = world.client.get(f"/blobs/{sha}")
    assert got.status_code == 200 and got.content == data and got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert not list((world.settings.blob_dir / "staging").iterdir())


def test_a_cut_upload_resumes_from_the_offset_head_reports(world):
    data = jpeg(600_000, seed=1)
    url = create(world, data).headers["location"]
    assert url.startswith("/blobs/uploads/")
    assert patch(world, url, 0, data[:CHUNK]).headers["upload-offset"] == str(CHUNK)
    head = world.client.head(url, headers=TUS)
    assert (head.status_code, head.headers["upload-offset"], head.headers["upload-length"], head.headers["cache-control"]) == (
        200, str(CHUNK), str(len(data)), "no-store")
    offset = int(head.headers["upload-offset"])
    while offset < len(data):
        r = patch(world, url, offset, data[offset:offset + CHUNK])
        assert r.status_code == 204
        offset = int(r.headers["upload-offset"])
    assert stored(world, hashlib.sha256(data).hexdigest()) == data


def test_a_patch_at_the_wrong_offset_gets_409_and_changes_nothing(world):
    data = jpeg(300_000, seed=2)
    url = create(world, data).headers["location"]
    patch(world, url, 0, data[:1000])
    refused(patch(world, url, 0, data[:1000]), 409, "blob.offset_mismatch")
    refused(patch(world, url, 5000, data[5000:6000]), 409, "blob.offset_mismatch")
    assert world.client.head(url, headers=TUS).headers["upload-offset"] == "1000"


def test_bytes_that_do_not_hash_to_the_announced_sha256_are_dropped(world):
    data = jpeg(200_000, seed=3)
    r = send(world, data, sha256=hashlib.sha256(b"something else").hexdigest())
    refused(r, 422, "blob.checksum_mismatch")
    assert rows(world, Blob) == [] and rows(world, Upload) == []
    assert not list((world.settings.blob_dir / "staging").iterdir())


@pytest.mark.parametrize("data, claimed", [(PNG, "application/pdf"), (HTML, "image/jpeg"), (jpeg(5000), "image/png")])
def test_the_type_is_decided_by_the_bytes_and_must_be_the_one_claimed(world, data, claimed):
    body = refused(send(world, data, mime=claimed), 415, "blob.type_refused")
    assert "JPEG" in body["message"]
    assert rows(world, Blob) == []


def test_a_type_outside_the_four_is_refused_at_creation(world):
    refused(create(world, HTML, mime="text/html"), 415, "blob.type_refused")


def test_a_file_over_5_mb_is_refused_at_creation_from_its_length(world):
    body = refused(create(world, b"x", length=5 * 1024 * 1024 + 1), 413, "blob.too_large")
    assert "5 MB" in body["message"]
    assert rows(world, Upload) == []


def test_a_person_over_their_quota_is_refused_and_open_uploads_count(world):
    big = 5 * 1024 * 1024
    for n in range(10):  # 50 MB of open uploads: the citizen's whole quota
        assert create(world, b"x", length=big, sha256=f"{n:064x}").status_code == 201
    body = refused(create(world, b"x", length=1000, sha256="f" * 64), 403, "blob.quota_exceeded")
    assert "50 MB" in body["message"]
    url = create(world, b"x", length=big, sha256="e" * 64)  # refused as well
    assert url.status_code == 403
    first = rows(world, Upload)[0]
    assert world.client.delete(f"/blobs/uploads/{first.id}", headers=TUS).status_code == 204  # termination frees it
    assert create(world, b"x", length=1000, sha256="f" * 64).status_code == 201


def test_the_same_file_from_two_people_is_stored_once_with_two_owners(world):
    data = jpeg(300_000, seed=4)
    sha = hashlib.sha256(data).hexdigest()
    assert send(world, data).status_code == 204
    other = citizen_session(world.sql_url, world.settings.pii_key, nik="3302015505900002")
    world.client.set_session_data(other)
    assert world.client.head(f"/blobs/{sha}").status_code == 404  # owning is per person, even for the same bytes
    assert send(world, data).status_code == 204
    assert world.client.head(f"/blobs/{sha}").status_code == 200
    assert len(rows(world, Blob)) == 1
    assert sorted(o.account_id for o in rows(world, BlobOwner)) == sorted([world.account, other["account"]])
    assert stored(world, sha) == data


def test_another_persons_upload_and_blob_are_not_found(world):
    data = jpeg(300_000, seed=5)
    url = create(world, data).headers["location"]
    patch(world, url, 0, data[:1000])
    done = jpeg(2000, seed=6)
    send(world, done)
    world.client.set_session_data(citizen_session(world.sql_url, world.settings.pii_key, nik="3302015505900003"))
    assert world.client.head(url, headers=TUS).status_code == 404
    refused(patch(world, url, 1000, data[1000:2000]), 404, "blob.upload_not_found")
    refused(world.client.delete(url, headers=TUS), 404, "blob.upload_not_found")
    refused(world.client.get(f"/blobs/{hashlib.sha256(done).hexdigest()}"), 404, "blob.not_found")
    refused(world.client.get("/blobs/" + "0" * 64), 404, "blob.not_found")


def test_anonymous_callers_are_asked_to_sign_in(world):
    world.client.set_session_data({})
    refused(create(world, b"x" * 10), 401, "auth.required")
    refused(world.client.get("/blobs/" + "0" * 64), 401, "auth.required")


def test_a_client_speaking_another_tus_version_gets_412(world):
    r = world.client.post("/blobs/uploads", headers={"Tus-Resumable": "0.2.2", "Upload-Length": "10",
                                                     "Upload-Metadata": metadata(sha256="a" * 64, mime="image/jpeg")})
    refused(r, 412, "blob.tus_version")
    assert r.headers["tus-version"] == "1.0.0"


def test_a_patch_needs_the_tus_content_type_and_at_most_one_chunk_and_some_slack(world):
    data = jpeg(1_000_000, seed=7)
    url = create(world, data).headers["location"]
    r = world.client.patch(url, content=data[:10], headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/octet-stream"})
    refused(r, 415, "blob.content_type")
    refused(patch(world, url, 0, data[:600_000]), 413, "blob.chunk_too_large")
    # what fitted was kept: the device resumes from there
    assert int(world.client.head(url, headers=TUS).headers["upload-offset"]) == 320 * 1024


def test_a_terminated_upload_is_gone(world):
    url = create(world, jpeg(10_000)).headers["location"]
    assert world.client.delete(url, headers=TUS).status_code == 204
    assert world.client.head(url, headers=TUS).status_code == 404
    assert rows(world, Upload) == []


def test_uploads_untouched_for_a_week_are_removed_finished_files_stay(world):
    """An abandoned upload's staged bytes and record go; a finished upload's file stays under its sha256."""
    from datetime import timedelta

    from identity.models import utcnow
    from sync.blobs import ABANDONED_UPLOAD_DAYS
    from sync.blobstore import FileBlobStore
    from sync.worker import Worker
    from tests.factories import _with_session, run

    done = jpeg(30_000, seed=7)
    assert send(world, done).status_code == 204
    url = create(world, jpeg(300_000, seed=8)).headers["location"]
    assert patch(world, url, 0, jpeg(300_000, seed=8)[:CHUNK]).status_code == 204
    fresh = create(world, jpeg(20_000, seed=9)).headers["location"]
    abandoned_id, fresh_id = url.rsplit("/", 1)[1], fresh.rsplit("/", 1)[1]
    store = FileBlobStore(world.settings.blob_dir)
    assert store.staged_size(abandoned_id) == CHUNK

    async def age_all_but_fresh(session, engine):
        old = utcnow() - timedelta(days=ABANDONED_UPLOAD_DAYS, hours=1)
        for upload in await session.exec(select(Upload).where(Upload.id != fresh_id)):
            upload.updated_at = old
            session.add(upload)
        await session.commit()

    async def hourly_step(s):
        await Worker(s.engine, s.couch, s.rules, blobs=store).round()  # the first round takes the hourly step

    run(_with_session(world.sql_url, age_all_but_fresh))
    with_stores(world.sql_url, world.couch, hourly_step)
    assert [u.id for u in rows(world, Upload)] == [fresh_id]
    assert store.staged_size(abandoned_id) is None
    assert stored(world, hashlib.sha256(done).hexdigest()) == done
    assert world.client.head(url, headers=TUS).status_code == 404  # the device starts that file again


# --- received means complete ------------------------------------------------------------------------

KIA = {"nik_anak": "3302014101200002", "nomor_kk": "3302010101200001", "nik_pemohon": "3302015505900001",
       "tanggal_lahir_anak": "2020-01-01", "no_hp": "081234567890"}


def ref(data: bytes, field: str = "pas_foto") -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "mime": "image/jpeg", "field": field}


def submit_and_work(w: World, *docs: dict):
    async def go(s: Stores):
        db = await ensure_userdb(s.couch, w.account)
        await s.put(db, *docs)
        await s.work()
        return [await s.status(db, d["_id"]) for d in docs]

    return with_stores(w.sql_url, w.couch, go)


def work(w: World, draft_id: str):
    async def go(s: Stores):
        await s.work()
        return await s.status(userdb_name(w.account), draft_id)

    return with_stores(w.sql_url, w.couch, go)


def test_an_application_waits_for_its_photo_and_is_received_when_it_arrives(world):
    photo = jpeg(400_000, seed=8)
    doc = draft(service="adminduk-kia", values={**KIA, "pas_foto": ref(photo)})
    (status,) = submit_and_work(world, doc)
    (app,) = rows(world, Application)
    assert (app.state, app.due_date) == ("waiting_for_files", None)
    assert [st.state for st in rows(world, WorkflowStep)] and all(st.state == "waiting" and st.opened_at is None
                                                                   for st in rows(world, WorkflowStep))
    assert [e.state for e in rows(world, ApplicationEvent)] == ["waiting_for_files"]
    assert (status["state"], status["tracking_number"]) == ("waiting_for_files", app.tracking_number)
    assert "Menunggu foto/berkas" in status["message"] and status["next_step"]

    assert send(world, photo).status_code == 204  # the last byte settles it, in the upload's request
    (app,) = rows(world, Application)
    assert app.state == "received" and app.due_date is not None
    assert [e.state for e in rows(world, ApplicationEvent)] == ["waiting_for_files", "received"]
    assert sorted((st.position, st.state) for st in rows(world, WorkflowStep))[0] == (0, "open")
    status = work(world, doc["_id"])
    assert status["state"] == "received" and app.tracking_number in status["message"]
    assert [h["state"] for h in status["history"]] == ["waiting_for_files", "received"]


def test_a_draft_whose_photo_arrived_first_is_received_at_once(world):
    photo = jpeg(50_000, seed=9)
    assert send(world, photo).status_code == 204
    (status,) = submit_and_work(world, draft(service="adminduk-kia", values={**KIA, "pas_foto": ref(photo)}))
    assert status["state"] == "received" and rows(world, Application)[0].due_date is not None


def test_another_persons_photo_never_lets_an_application_through(world):
    photo = jpeg(50_000, seed=10)
    mine = world.session
    world.client.set_session_data(citizen_session(world.sql_url, world.settings.pii_key, nik="3302015505900004"))
    assert send(world, photo).status_code == 204  # someone else owns these bytes
    world.client.set_session_data(mine)
    (status,) = submit_and_work(world, draft(service="adminduk-kia", values={**KIA, "pas_foto": ref(photo)}))
    assert status["state"] == "waiting_for_files"

    async def settle(s: Stores):
        from sync.files import settle_all
        return await settle_all(s.engine, s.rules)

    assert with_stores(world.sql_url, world.couch, settle) == 0
    assert rows(world, Application)[0].state == "waiting_for_files"


def test_the_worker_settles_an_application_whose_upload_request_died_after_storing(world):
    photo = jpeg(50_000, seed=11)
    doc = draft(service="adminduk-kia", values={**KIA, "pas_foto": ref(photo)})
    submit_and_work(world, doc)

    async def owned_behind_its_back(s: Stores):
        from sqlmodel.ext.asyncio.session import AsyncSession
        async with AsyncSession(s.engine) as session:
            session.add(Blob(sha256=ref(photo)["sha256"], size=len(photo), mime="image/jpeg"))
            await session.commit()
            session.add(BlobOwner(account_id=world.account, sha256=ref(photo)["sha256"]))
            await session.commit()
        from sync.files import settle_all
        return await settle_all(s.engine, s.rules)

    assert with_stores(world.sql_url, world.couch, owned_behind_its_back) == 1
    assert work(world, doc["_id"])["state"] == "received"
