"""The optional KTP and consent photos of an assisted application: the gateway takes only null or
a well-formed reference, and the application waits until the officer's device has uploaded them."""

from __future__ import annotations

import hashlib

from sync.models import Application, ApplicationEvent, BlobOwner
from tests.integration.test_blobs import ORIGIN, jpeg, send
from tests.integration.test_field_officer import applications, assisted, put, status, work, world  # noqa: F401
from tests.support.drafts import NOW, with_stores


def photo_ref(data: bytes, field: str) -> dict:
    return {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "mime": "image/jpeg", "field": field}


def with_photos(w, ktp: bytes | None, consent: bytes | None) -> dict:
    return assisted(w.resident,
                    identity_check={"ktp_seen": True, "at": NOW, "place": "Balai Desa Sukamaju",
                                    "photo": photo_ref(ktp, "_ktp") if ktp else None},
                    consent={"given": True, "text_version": "persetujuan-v1", "at": NOW,
                             "signature": photo_ref(consent, "_consent") if consent else None})


def rows(w, model, *where):
    return with_stores(w.sql_url, w.couch, lambda s: s.rows(model, *where))


def test_the_gateway_takes_a_well_formed_ktp_photo_ref_and_refuses_a_malformed_one(world):
    ktp = jpeg(60_000, seed=21)
    assert put(world, with_photos(world, ktp, None)).status_code == 201
    for bad in ({**photo_ref(ktp, "_ktp"), "mime": "application/pdf"}, {**photo_ref(ktp, "_ktp"), "size": 6 * 1024 * 1024},
                {**photo_ref(ktp, "_ktp"), "field": "_consent"}, {**photo_ref(ktp, "_ktp"), "sha256": "x" * 64}):
        doc = assisted(world.resident, identity_check={"ktp_seen": True, "at": NOW, "place": "Balai Desa", "photo": bad})
        r = put(world, doc)
        assert r.status_code == 400 and r.json()["code"] == "sync.doc_invalid", (bad, r.text)
    doc = assisted(world.resident, consent={"given": True, "text_version": "v1", "at": NOW, "signature": photo_ref(ktp, "_ktp")})
    assert put(world, doc).status_code == 400


def test_an_assisted_application_waits_for_its_ktp_and_consent_photos_and_keeps_their_refs(world):
    world.client.headers["origin"] = ORIGIN
    ktp, consent = jpeg(180_000, seed=22), jpeg(90_000, seed=23)
    doc = with_photos(world, ktp, consent)
    assert put(world, doc).status_code == 201
    work(world)
    (app,) = applications(world)
    assert (app.state, app.due_date) == ("waiting_for_files", None)
    assert app.applicant["identity_check"]["photo"] == photo_ref(ktp, "_ktp")
    assert app.applicant["consent"]["signature"] == photo_ref(consent, "_consent")
    assert "nik" not in app.applicant
    assert status(world, "userdb-" + app.account_id, doc)["state"] == "waiting_for_files"

    assert send(world, ktp, field="_ktp").status_code == 204
    (app,) = applications(world)
    assert app.state == "waiting_for_files"  # the consent photo is still on the officer's phone
    assert send(world, consent, field="_consent").status_code == 204
    (app,) = applications(world)
    assert app.state == "received" and app.due_date is not None
    owned = {o.sha256 for o in rows(world, BlobOwner) if o.account_id == app.account_id}
    assert owned == {photo_ref(ktp, "_ktp")["sha256"], photo_ref(consent, "_consent")["sha256"]}
    assert [e.state for e in rows(world, ApplicationEvent)] == ["waiting_for_files", "received"]
    work(world)
    assert status(world, "userdb-" + app.account_id, doc)["state"] == "received"


def test_an_assisted_application_without_photos_is_received_at_once(world):
    assert put(world, with_photos(world, None, None)).status_code == 201
    work(world)
    (app,) = applications(world)
    assert app.state == "received"
    assert app.applicant["identity_check"]["photo"] is None and app.applicant["consent"]["signature"] is None


def test_a_ktp_photo_uploaded_by_someone_else_does_not_count(world):
    from tests.factories import citizen_session

    ktp = jpeg(40_000, seed=24)
    officer = world.officer
    world.client.headers["origin"] = ORIGIN
    world.client.set_session_data(citizen_session(world.sql_url, world.settings.pii_key))
    assert send(world, ktp, field="_ktp").status_code == 204
    world.client.set_session_data(officer)
    assert put(world, with_photos(world, ktp, None)).status_code == 201
    work(world)
    (app,) = applications(world)
    assert app.state == "waiting_for_files"
    assert send(world, ktp, field="_ktp").status_code == 204
    (app,) = applications(world)
    assert app.state == "received"
