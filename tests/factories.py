"""Factories: data for tests, built through the same services the app uses."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from server.catalog.service import CatalogService
from server.db import make_engine
from server.demo import pilot_regions

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    """Run a coroutine to the end, also from code that already has a loop (Playwright's sync API)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def with_catalog(sql_url: str, couch_conf, fn: Callable[[CatalogService], Awaitable[T]]) -> T:
    """Run `fn` with a CatalogService on its own engine, session and CouchDB client."""
    engine = make_engine(sql_url)
    couch = couch_conf.client() if couch_conf else None
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            return await fn(CatalogService(session, couch))
    finally:
        if couch:
            await couch.aclose()
        await engine.dispose()


def seed_regions(sql_url: str, couch_conf, codes: tuple[str, ...] = ("21.71",)) -> None:
    """The seeded services, and the given pilot regions with agencies and published versions."""

    async def go(catalog: CatalogService) -> None:
        for region in pilot_regions():
            if region.code in codes:
                catalog.session.add(region)
        await catalog.session.commit()
        await catalog.seed_services()
        for region in pilot_regions():
            if region.code in codes:
                await catalog.seed_region(region)
                await catalog.push_region(region.code)

    run(with_catalog(sql_url, couch_conf, go))


async def _with_session(sql_url: str, fn):
    engine = make_engine(sql_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            return await fn(session, engine)
    finally:
        await engine.dispose()


def load_residents(sql_url: str, codes: tuple[str, ...] = ("21.71",), families: int = 4):
    """Synthetic residents in the stand-in register; returns one head of family per region."""
    from identity.synthetic import load_synthetic, sample_resident

    async def go(session, engine):
        await load_synthetic(engine, list(codes), families)
        return [await sample_resident(engine, code) for code in codes]

    return run(_with_session(sql_url, go))


def staff_session(sql_url: str, role: str, region: str | None = "21.71", agency_kind: str | None = None) -> dict:
    """A signed-in staff member with one role, as session data for `client.set_session_data`."""
    from sqlmodel import select

    from identity.models import Account, Device, RoleGrant, utcnow
    from server.catalog.models import Agency

    async def go(session, engine):
        account = Account(id=new_hex(), kind="staff", display_name=f"Petugas {role}", assurance="verified")
        session.add(account)
        await session.flush()
        agency_id = None
        if agency_kind:
            agency = (await session.exec(select(Agency).where(Agency.region_code == region, Agency.kind == agency_kind))).one()
            agency_id = agency.id
        session.add(RoleGrant(account_id=account.id, role=role, region_code=region, agency_id=agency_id))
        device = Device(id=new_hex(), account_id=account.id, name="test")
        session.add(device)
        await session.commit()
        return {"account": account.id, "device": device.id, "auth_at": utcnow().isoformat()}

    return run(_with_session(sql_url, go))


def citizen_session(sql_url: str, pii_key: str, nik: str = "3302015505900001", name: str = "WARGA UJI") -> dict:
    """A signed-in citizen (account + device), as session data."""
    from identity.crypto import PiiCipher
    from identity.models import Account, Device, utcnow

    cipher = PiiCipher(pii_key)

    async def go(session, engine):
        account = Account(id=new_hex(), kind="citizen", display_name=name, nik_hash=cipher.lookup_hash("nik", nik),
                          nik_cipher=cipher.encrypt(nik), assurance="basic")
        session.add(account)
        await session.flush()
        device = Device(id=new_hex(), account_id=account.id, name="test")
        session.add(device)
        await session.commit()
        return {"account": account.id, "device": device.id, "auth_at": utcnow().isoformat()}

    return run(_with_session(sql_url, go))


def new_hex() -> str:
    import secrets

    return secrets.token_hex(16)
