"""A signed-in resident on a running app, over plain HTTP: enrolment with a software passkey."""

from __future__ import annotations

import httpx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity import wilayah
from identity.registry_models import Resident
from identity.synthetic import HEAD
from server.db import make_engine
from tests.factories import run
from tests.support.softauthn import SoftAuthenticator

TRIES = 20


def enrol_resident(base_url: str, database_url: str, region: str = "21.71") -> str:
    """Enrol a head of family of the region not enrolled yet (lowest NIK first); returns the
    session cookie (`mpp_session=…`)."""

    async def pick():
        engine = make_engine(database_url)
        try:
            async with AsyncSession(engine) as session:
                code = wilayah.dotted(region) or region
                query = select(Resident).where(Resident.regency_code == code, Resident.relationship == HEAD).order_by(Resident.nik)
                return list((await session.exec(query.limit(TRIES))).all())
        finally:
            await engine.dispose()

    with httpx.Client(base_url=base_url, timeout=30) as http:
        for resident in run(pick()):
            r = http.post("/api/identity/enroll/start", json={
                "nik": resident.nik, "full_name": resident.full_name, "birth_date": resident.birth_date.isoformat(),
                "birth_place": resident.birth_place})
            if r.status_code == 409:
                continue  # enrolled by an earlier run against the same app
            r.raise_for_status()
            r = http.post("/api/identity/enroll/finish", json={"credential": SoftAuthenticator(origin=base_url).create(r.json())})
            if r.status_code != 201:
                raise RuntimeError(f"enrolment failed: {r.status_code} {r.text[:200]}")
            return f"mpp_session={http.cookies['mpp_session']}"
    raise RuntimeError(f"no resident of {region} left to enrol among the first {TRIES}")


def officer_cookie(env: dict[str, str], region: str = "21.71") -> tuple[str, str]:
    """A signed-in field officer of `region` on the app running with `env`: the session cookie
    value (written to the session store that app reads) and the account id."""
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app
    from server.settings import Settings
    from tests.factories import staff_session

    settings = Settings.from_env(env)
    data = staff_session(env["DATABASE_URL"], "field_officer", region)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(data)
        return client.cookies["mpp_session"], data["account"]
