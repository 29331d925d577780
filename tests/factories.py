"""Factories: data for tests, built through the same services the app uses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from server.catalog.service import CatalogService
from server.db import make_engine
from server.demo import pilot_regions
from sync.couch import CouchClient

T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)


async def with_catalog(sql_url: str, couch_conf, fn: Callable[[CatalogService], Awaitable[T]]) -> T:
    """Run `fn` with a CatalogService on its own engine, session and CouchDB client."""
    engine = make_engine(sql_url)
    couch = CouchClient(couch_conf.url, couch_conf.user, couch_conf.password) if couch_conf else None
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
