"""Identity over HTTP with a software authenticator: enrolment, sign-in, devices, recovery,
in-person verification, staff — on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlmodel import select

from identity.models import Account, AssuranceEvent, utcnow
from server.accounts.sessions import session_config
from server.app import create_app
from tests.conftest import make_settings
from tests.factories import _with_session, load_residents, run, seed_regions, staff_session
from tests.support.softauthn import SoftAuthenticator

ORIGIN = "http://localhost:8000"


@pytest.fixture
def world(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    batam, banyumas = load_residents(sql_url, ("21.71", "33.02"))
    settings = make_settings(sql_url, fresh_couch, tmp_path, origin=ORIGIN)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        yield client, settings, batam, banyumas


@contextmanager
def another_device(client: TestClient, settings):
    """A second phone talking to the same running app (same event loop, so the same SQL pool)."""
    other = TestClient(app=client.app, session_config=session_config(settings))
    other.blocking_portal = client.blocking_portal
    yield other


def claims(r, **override):
    body = {"nik": r.nik, "full_name": r.full_name, "birth_date": r.birth_date.isoformat(), "birth_place": r.birth_place}
    body.update(override)
    return body


def enrol(client, resident, authn: SoftAuthenticator) -> dict:
    r = client.post("/api/identity/enroll/start", json=claims(resident))
    assert r.status_code == 200, r.text
    options = r.json()
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    r = client.post("/api/identity/enroll/finish", json={"credential": authn.create(options)})
    assert r.status_code == 201, r.text
    return r.json()


def sign_in(client, authn: SoftAuthenticator, **knobs):
    options = client.post("/api/identity/login/start").json()
    assert "allowCredentials" not in options or not options["allowCredentials"]
    return client.post("/api/identity/login/finish", json={"credential": authn.get(options, **knobs)})


def test_a_resident_enrols_with_a_passkey_signs_out_and_signs_in_again(world):
    client, settings, batam, _ = world
    authn = SoftAuthenticator(origin=ORIGIN)
    body = enrol(client, batam, authn)
    assert len(body["recovery_codes"]) == 10 and body["account"]["assurance"] == "basic"
    me = client.get("/api/identity/me").json()
    assert me["signed_in"] and me["account"]["kind"] == "citizen"
    assert client.post("/api/identity/logout").status_code == 200
    assert client.get("/api/identity/me").json() == {"signed_in": False}
    r = sign_in(client, authn)
    assert r.status_code == 200, r.text
    assert client.get("/api/identity/me").json()["signed_in"] is True


def test_sessions_are_written_only_when_they_change(world):
    """Anonymous requests leave no session behind; signing in gets a fresh id; a syncing phone's
    requests do not rewrite its session each time; signing out removes it."""
    client, settings, batam, _ = world
    folder = settings.var_dir / "sessions"
    files = lambda: sorted(p.name for p in folder.glob("*")) if folder.exists() else []  # noqa: E731
    for path in ("/healthz", "/api/identity/me", "/sync/catalog/"):
        r = client.get(path)
        assert "mpp_session" not in r.headers.get("set-cookie", ""), path
    assert files() == []

    r = client.post("/api/identity/enroll/start", json=claims(batam))  # the ceremony's challenge needs a session
    before_sign_in = client.cookies.get("mpp_session")
    assert before_sign_in and len(files()) == 1
    authn = SoftAuthenticator(origin=ORIGIN)
    assert client.post("/api/identity/enroll/finish", json={"credential": authn.create(r.json())}).status_code == 201
    signed_in = client.cookies.get("mpp_session")
    assert signed_in != before_sign_in and len(files()) == 1  # the pre-sign-in session is gone

    stored = folder / files()[0]
    written = stored.stat().st_mtime_ns
    for _ in range(5):
        r = client.get("/api/identity/me")
        assert r.json()["signed_in"] and "mpp_session" not in r.headers.get("set-cookie", "")
    assert stored.stat().st_mtime_ns == written

    assert client.post("/api/identity/logout").status_code == 200
    assert files() == []
    assert client.get("/api/identity/me").json() == {"signed_in": False}


def test_expired_sessions_on_disk_are_removed_when_the_app_starts(world):
    client, settings, _, _ = world
    store = client.app.stores.get("sessions")
    client.blocking_portal.call(store.set, "old", b"{}", 1)
    client.blocking_portal.call(store.set, "fresh", b"{}", 3600)
    folder = settings.var_dir / "sessions"
    assert len(list(folder.glob("*"))) == 2
    time.sleep(1.1)
    with TestClient(app=create_app(settings), session_config=session_config(settings)):
        pass
    assert len(list(folder.glob("*"))) == 1


def test_the_nik_and_phone_are_stored_encrypted_and_the_nik_found_by_keyed_hash(world):
    client, settings, batam, _ = world
    r = client.post("/api/identity/enroll/start", json=claims(batam, phone="0812-3456 7890"))
    assert r.status_code == 200, r.text
    assert client.post("/api/identity/enroll/finish", json={"credential": SoftAuthenticator(origin=ORIGIN).create(r.json())}).status_code == 201

    async def stored(session, engine):
        return (await session.exec(select(Account))).all()

    [account] = run(_with_session(settings.database.url, stored))
    assert batam.nik not in (account.nik_cipher or "") and batam.nik not in (account.nik_hash or "")
    from identity.crypto import PiiCipher

    assert PiiCipher(settings.pii_key).decrypt(account.nik_cipher) == batam.nik
    assert "34567890" not in account.phone_cipher
    assert PiiCipher(settings.pii_key).decrypt(account.phone_cipher) == "+6281234567890"


def test_a_phone_number_that_is_not_indonesian_mobile_is_refused_before_anything_else(world):
    client, _, batam, _ = world
    r = client.post("/api/identity/enroll/start", json=claims(batam, phone="021-555"))
    assert r.status_code == 400 and r.json()["code"] == "identity.phone_invalid"
    assert "081234567890" in r.json()["message"]


def test_unknown_nik_and_wrong_data_get_the_same_answer(world):
    client, _, batam, _ = world
    wrong_name = client.post("/api/identity/enroll/start", json=claims(batam, full_name="ORANG LAIN"))
    unknown = client.post("/api/identity/enroll/start", json=claims(batam, nik=batam.nik[:12] + "9999"))
    assert wrong_name.status_code == unknown.status_code == 400
    assert wrong_name.json() == unknown.json()
    assert wrong_name.json()["code"] == "identity.not_matched"


def test_a_malformed_nik_says_which_rule_it_breaks(world):
    client, _, batam, _ = world
    r = client.post("/api/identity/enroll/start", json=claims(batam, nik="12345"))
    assert r.status_code == 400 and r.json()["code"] == "identity.nik_invalid"
    assert "16" in r.json()["message"]


def test_tries_per_nik_are_limited_with_a_wait_in_minutes(world):
    client, _, batam, _ = world
    for _ in range(5):
        assert client.post("/api/identity/enroll/start", json=claims(batam, full_name="SALAH")).status_code == 400
    r = client.post("/api/identity/enroll/start", json=claims(batam))
    assert r.status_code == 429
    assert r.json()["code"] == "identity.too_many_attempts"
    assert "Coba lagi dalam" in r.json()["message"] and "menit" in r.json()["message"]
    assert int(r.headers["retry-after"]) > 0


def test_tries_per_ip_are_limited_across_niks(world):
    client, _, batam, banyumas = world
    for i in range(20):
        who = batam if i % 2 else banyumas
        client.post("/api/identity/enroll/start", json=claims(who, nik=who.nik[:12] + f"{9000 + i}"))
    assert client.post("/api/identity/enroll/start", json=claims(batam)).status_code == 429


def test_an_enrolled_nik_cannot_enrol_twice(world):
    client, _, batam, _ = world
    enrol(client, batam, SoftAuthenticator(origin=ORIGIN))
    client.post("/api/identity/logout")
    r = client.post("/api/identity/enroll/start", json=claims(batam))
    assert r.status_code == 409 and r.json()["code"] == "identity.already_enrolled"


def test_a_cloned_passkey_is_locked_and_the_person_told(world):
    client, _, batam, _ = world
    authn = SoftAuthenticator(origin=ORIGIN)
    enrol(client, batam, authn)
    assert sign_in(client, authn, sign_count=5).status_code == 200
    r = sign_in(client, authn, sign_count=3)
    assert r.status_code == 401 and r.json()["code"] == "passkey.cloned"
    r = sign_in(client, authn, sign_count=9)
    assert r.status_code == 401 and r.json()["code"] == "passkey.locked"


def test_revoking_a_device_needs_a_recent_sign_in_and_ends_that_session(world):
    client, settings, batam, _ = world
    authn = SoftAuthenticator(origin=ORIGIN)
    enrol(client, batam, authn)
    first_device = client.get("/api/identity/me").json()["device"]
    with another_device(client, settings) as phone2:
        assert sign_in(phone2, authn).status_code == 200
        second_device = phone2.get("/api/identity/me").json()["device"]
        # an old sign-in is not enough
        data = client.get_session_data()
        client.set_session_data({**data, "auth_at": (utcnow() - timedelta(hours=1)).isoformat()})
        r = client.delete(f"/api/identity/devices/{second_device}")
        assert r.status_code == 403 and r.json()["code"] == "auth.reauth_required"
        assert sign_in(client, authn).status_code == 200  # re-authenticate on the same device
        assert client.get("/api/identity/me").json()["device"] == first_device
        assert client.delete(f"/api/identity/devices/{second_device}").status_code == 200
        r = phone2.get("/api/identity/devices")
        assert r.status_code == 401 and r.json()["code"] == "auth.session_revoked"


def test_a_recovery_code_makes_a_new_passkey_once(world):
    client, _, batam, _ = world
    codes = enrol(client, batam, SoftAuthenticator(origin=ORIGIN))["recovery_codes"]
    client.post("/api/identity/logout")
    new_phone = SoftAuthenticator(origin=ORIGIN)
    options = client.post("/api/identity/enroll/code", json={"code": codes[3]}).json()
    r = client.post("/api/identity/enroll/finish", json={"credential": new_phone.create(options)})
    assert r.status_code == 201, r.text
    assert client.get("/api/identity/me").json()["signed_in"]
    assert len(client.get("/api/identity/passkeys").json()) == 2
    again = client.post("/api/identity/enroll/code", json={"code": codes[3]})
    assert again.status_code == 400 and again.json()["code"] == "identity.code_invalid"


def test_an_officer_verifies_in_person_and_enrols_a_resident_with_a_one_time_code(world):
    client, settings, batam, banyumas = world
    officer = staff_session(settings.database.url, "field_officer", "21.71")
    client.set_session_data(officer)
    r = client.post("/api/identity/assisted-enrollment", json={**claims(batam), "place": "Balai Desa", "region_code": "21.71"})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["account"]["assurance"] == "verified"

    with another_device(client, settings) as phone:
        options = phone.post("/api/identity/enroll/code", json={"code": code}).json()
        assert phone.post("/api/identity/enroll/finish", json={"credential": SoftAuthenticator(origin=ORIGIN).create(options)}).status_code == 201
        assert phone.get("/api/identity/me").json()["account"]["assurance"] == "verified"

    # a self-enrolled resident is upgraded after a KTP check at the counter
    with another_device(client, settings) as other:
        enrol(other, banyumas, SoftAuthenticator(origin=ORIGIN))
        assert other.post("/api/identity/verify-in-person", json={"nik": banyumas.nik, "place": "x"}).status_code == 403
    r = client.post("/api/identity/verify-in-person", json={"nik": banyumas.nik, "place": "Loket 3 MPP", "region_code": "21.71"})
    assert r.status_code == 200 and r.json()["account"]["assurance"] == "verified"

    async def events(session, engine):
        return (await session.exec(select(AssuranceEvent))).all()

    recorded = run(_with_session(settings.database.url, events))
    assert {(e.officer_id, e.method) for e in recorded} == {(officer["account"], "ktp_in_person")}
    assert {e.place for e in recorded} == {"Balai Desa", "Loket 3 MPP"}


def test_a_region_admin_creates_staff_only_in_their_own_region(world):
    client, settings, _, _ = world
    client.set_session_data(staff_session(settings.database.url, "region_admin", "21.71"))
    r = client.post("/api/identity/staff/33.02", json={"display_name": "Budi", "role": "field_officer"})
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
    r = client.post("/api/identity/staff/21.71", json={"display_name": "Budi", "role": "field_officer"})
    assert r.status_code == 201, r.text
    assert r.json()["link"].startswith(f"{ORIGIN}/backoffice/daftar#kode=")


def test_no_log_line_holds_a_whole_nik(world, caplog):
    client, _, batam, _ = world
    caplog.set_level(logging.DEBUG)
    client.post("/api/identity/enroll/start", json=claims(batam, full_name="SALAH"))
    enrol(client, batam, SoftAuthenticator(origin=ORIGIN))
    client.get(f"/lacak/{batam.nik}")
    assert caplog.records, "the requests should have been logged"
    for record in caplog.records:
        assert batam.nik not in record.getMessage()
