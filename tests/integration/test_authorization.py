"""Authorization matrix: every route states who may call it, and each role is refused everywhere
it has no business — checked by calling every guarded route as every role."""

from __future__ import annotations

import itertools
import re

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from server.accounts.guards import POLICIES, authorize
from server.accounts.sessions import session_config
from server.app import create_app
from server.errors import handle_exception
from tests.conftest import make_settings
from tests.factories import citizen_session, seed_regions, staff_session

# Route families and the one policy each may use. A new route lands in a family (or this table
# grows, which a reviewer sees); a route whose guard differs from its family's fails the test.
FAMILIES: list[tuple[str, set[str]]] = [
    (r"^/healthz$", {"public"}),
    (r"^/api/docs", {"public"}),
    (r"^/api/regions", {"public"}),
    (r"^/wilayah", {"public"}),
    (r"^/api/identity/(enroll/(start|finish|code)|login/(start|finish)|me)$", {"public"}),
    (r"^/api/identity/(logout|devices|passkeys|recovery-codes)", {"signed_in"}),
    (r"^/api/identity/(verify-in-person|assisted-enrollment)$", {"officer"}),
    (r"^/api/identity/staff/", {"region_admin"}),
    (r"^/backoffice/(masuk|daftar)$", {"public"}),
    (r"^/backoffice/keluar$", {"signed_in"}),
    (r"^/backoffice$", {"staff"}),
    (r"^/backoffice/wilayah/\{code:str\}/katalog", {"region_admin"}),
    (r"^/backoffice/wilayah/\{code:str\}/petugas$", {"region_admin"}),  # the region's staff and new staff accounts
    (r"^/backoffice/wilayah/\{code:str\}/impor", {"officer"}),  # files brought on a file when a phone cannot sync
    (r"^/api/wilayah/\{code:str\}/permohonan", {"agency_operator"}),
    (r"^/backoffice/wilayah/\{code:str\}/(antrian|permohonan)", {"agency_operator"}),  # the agency's queue and applications
    (r"^/api/permohonan/", {"citizen"}),  # withdrawing one's own application
    (r"^/api/saya/", {"citizen"}),  # "Siapa yang mengakses data saya"
    (r"^/api/push/key$", {"public"}),  # the server's VAPID public key
    (r"^/api/push/subscriptions$", {"signed_in"}),  # this device's notifications
    (r"^/blobs/", {"uploader"}),  # photos and documents: citizens and field officers
    (r"^/sync/me(/|$)", {"own_database"}),  # the person's own database (citizens and field officers)
    (r"^/(api/)?lacak$", {"public"}),  # status by tracking number and birth date
    (r"^/verifikasi/\{token:str\}$", {"public"}),  # an issued document's QR code: the token is the secret
    (r"^/sync", {"public"}),  # the catalog is public and read-only; the gateway checks each database itself
    (r"^/(assets/|\{file_path:path\}$|$)", {"public"}),
]

ROLES = ["anonymous", "citizen", "field_officer", "agency_operator", "region_admin", "admin_other_region", "national_monitor"]

# Which roles each policy lets through on a route about region 21.71 — written out by hand, not
# derived from the guard, so a mistake in the guard shows up as a difference.
ALLOWED = {
    "signed_in": set(ROLES) - {"anonymous"},
    "citizen": {"citizen"},
    "uploader": {"citizen", "field_officer"},
    "own_database": {"citizen", "field_officer"},
    "staff": {"field_officer", "agency_operator", "region_admin", "admin_other_region", "national_monitor"},
    "officer": {"field_officer", "agency_operator"},
    "region_admin": {"region_admin"},
    "agency_operator": {"agency_operator"},
    "national_monitor": {"national_monitor"},
}

PARAMS = {"code": "21.71", "service_id": "adminduk-kk", "version": "1", "credential_id": "tidak-ada", "device_id": "tidak-ada",
          "day": "2026-08-18", "rest": "_all_docs", "file_path": "index.html", "path": "openapi.json",
          "tracking_number": "MPP-2171-2026-000001", "requirement_id": "ktp_el", "token": "tidak-ada",
          "upload_id": "0" * 32, "sha256": "0" * 64}


def routes(app: Litestar) -> list[tuple[str, str, str | None]]:
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(handler.http_methods):
                if method != "OPTIONS":
                    found.append((method, route.path, handler.opt.get("guard")))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", lambda m: PARAMS[m.group(1)], path)


@pytest.fixture
def matrix_app(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    serial = itertools.count(1)
    makers = {
        "anonymous": dict,
        "citizen": lambda: citizen_session(sql_url, settings.pii_key, nik=f"330201550590{next(serial):04d}"),
        "field_officer": lambda: staff_session(sql_url, "field_officer", "21.71"),
        "agency_operator": lambda: staff_session(sql_url, "agency_operator", "21.71", agency_kind="disdukcapil"),
        "region_admin": lambda: staff_session(sql_url, "region_admin", "21.71"),
        "admin_other_region": lambda: staff_session(sql_url, "region_admin", "33.02"),
        "national_monitor": lambda: staff_session(sql_url, "national_monitor", None),
    }
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        yield client, makers


def test_every_route_declares_a_guard_and_belongs_to_a_family(matrix_app):
    client, _ = matrix_app
    problems = []
    for method, path, guard in routes(client.app):
        if guard not in POLICIES:
            problems.append(f"{method} {path}: no guard")
            continue
        families = [policies for pattern, policies in FAMILIES if re.search(pattern, path)]
        if not families:
            problems.append(f"{method} {path}: in no family")
        elif guard not in families[0]:
            problems.append(f"{method} {path}: guard {guard}, family allows {sorted(families[0])}")
    assert not problems, "\n".join(problems)


def test_each_role_is_refused_on_every_guarded_route_it_may_not_use(matrix_app):
    client, makers = matrix_app
    sessions = {role: make() for role, make in makers.items()}
    client.get("/wilayah/21.71")  # a public page hands out the CSRF cookie for the back-office forms
    token = client.cookies["mpp_csrf"]
    guarded = [(m, p, g) for m, p, g in routes(client.app) if g != "public"]
    assert len(guarded) >= 20 and {g for *_, g in guarded} >= {"signed_in", "officer", "region_admin", "staff"}
    wrong = []
    for role in ROLES:
        for method, path, policy in guarded:
            # signing out ends that device's session for good: those routes get a device of their own
            client.set_session_data(makers[role]() if path.endswith(("/logout", "/keluar")) else sessions[role])
            url = concrete(path)
            if path.startswith("/backoffice"):
                r = client.request(method, url, data={"_csrf_token": token} if method == "POST" else None,
                                   headers={"accept": "application/json"}, follow_redirects=False)
            else:
                r = client.request(method, url, json={} if method in ("POST", "PUT") else None)
            body = r.json() if r.headers.get("content-type", "").startswith("application/json") and r.content else None
            code = body.get("code") if isinstance(body, dict) else None
            if method == "HEAD":  # no body to read the code from: the status says it
                code = {401: "auth.required", 403: "auth.forbidden"}.get(r.status_code)
            refused = code in ("auth.required", "auth.forbidden")
            if role in ALLOWED[policy]:
                if refused:
                    wrong.append(f"{role} refused on {method} {path}: {r.status_code} {code}")
            elif role == "anonymous":
                if (r.status_code, code) != (401, "auth.required"):
                    wrong.append(f"anonymous not asked to sign in on {method} {path}: {r.status_code} {code}")
            elif (r.status_code, code) != (403, "auth.forbidden"):
                wrong.append(f"{role} not refused on {method} {path}: {r.status_code} {code}")
    assert not wrong, "\n".join(wrong)


def test_a_route_that_declares_no_guard_is_refused_for_everyone():
    @get("/lupa-dijaga", sync_to_thread=False)
    def forgotten() -> dict:
        return {"data": "rahasia"}

    app = Litestar([forgotten], guards=[authorize], exception_handlers={Exception: handle_exception})
    with TestClient(app=app) as client:
        r = client.get("/lupa-dijaga")
    assert r.status_code == 403 and r.json()["code"] == "auth.undeclared"
    assert "rahasia" not in r.text


def test_a_state_changing_request_from_another_site_is_refused(client):
    r = client.post("/api/identity/enroll/start", json={}, headers={"origin": "https://situs-lain.example"})
    assert r.status_code == 403 and r.json()["code"] == "auth.foreign_origin"
