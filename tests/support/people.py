"""A signed-in resident on a running app, over plain HTTP: enrolment with a software passkey."""

from __future__ import annotations

import httpx

from identity.synthetic import sample_resident
from server.db import make_engine
from tests.factories import run
from tests.support.softauthn import SoftAuthenticator


def enrol_resident(base_url: str, database_url: str, region: str = "21.71") -> str:
    """Enrol the region's sample resident; returns the session cookie (`mpp_session=…`)."""

    async def pick():
        engine = make_engine(database_url)
        try:
            return await sample_resident(engine, region)
        finally:
            await engine.dispose()

    resident = run(pick())
    with httpx.Client(base_url=base_url, timeout=30) as http:
        r = http.post("/api/identity/enroll/start", json={
            "nik": resident.nik, "full_name": resident.full_name, "birth_date": resident.birth_date.isoformat(),
            "birth_place": resident.birth_place})
        r.raise_for_status()
        r = http.post("/api/identity/enroll/finish", json={"credential": SoftAuthenticator(origin=base_url).create(r.json())})
        if r.status_code != 201:
            raise RuntimeError(f"enrolment failed: {r.status_code} {r.text[:200]}")
        return f"mpp_session={http.cookies['mpp_session']}"
