"""The first admin of a deployment, created from the command line (no one can invite them)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import AccountService
from identity.crypto import PiiCipher
from identity.passkeys import PasskeyConfig
from identity.registry import LocalRegistry
from server.catalog.models import Region
from server.db import make_engine
from server.settings import Settings


class AdminSetupError(Exception):
    """Bad arguments for the first admin; the message is one line for the operator."""


async def create_first_admin(settings: Settings, *, name: str, role: str, region: str | None) -> str:
    if role == "region_admin" and not region:
        raise AdminSetupError("a region admin needs --region, e.g. --region 21.71")
    engine = make_engine(settings.database.url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            if region and await session.get(Region, region) is None:
                raise AdminSetupError(f"region {region} is not in the database; load it first (make run loads the demo regions)")
            accounts = AccountService(session, PiiCipher(settings.pii_key), LocalRegistry(engine),
                                      PasskeyConfig(rp_id=settings.web.rp_id, rp_name="MPP Digital", origins=[settings.web.public_origin]))
            _, code = await accounts.create_staff(None, display_name=name, role=role, region_code=region, agency_id=None)
    finally:
        await engine.dispose()
    return f"{settings.web.public_origin}/backoffice/daftar#kode={code}"
