"""Demo data for one-machine runs: the MPP Digital pilot regions with their agencies and the
39 seeded services, all enabled and published, and synthetic residents in the stand-in
population register. Idempotent: a second run adds nothing."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.synthetic import load_synthetic
from server.catalog.models import Region
from server.catalog.service import CatalogService
from sync.couch import CouchClient

DATA = Path(__file__).resolve().parent / "catalog" / "data"
DEMO_FAMILIES = 50  # per region: a few thousand synthetic residents in all


def pilot_regions() -> list[Region]:
    raw = json.loads((DATA / "pilot-regions.json").read_text(encoding="utf-8"))["regions"]
    return [
        Region(
            code=r["code"],
            name=r["name"],
            kind="kota" if r["name"].startswith("Kota ") else "kabupaten",
            province_code=r["code"][:2],
            province_name=r["province"],
        )
        for r in raw
    ]


async def load_demo(engine: AsyncEngine, couch: CouchClient | None = None) -> int:
    """Insert what is missing and make sure every region's catalog is on CouchDB; returns rows added."""
    added = 0
    async with AsyncSession(engine, expire_on_commit=False) as session:
        for region in pilot_regions():
            if await session.get(Region, region.code) is None:
                session.add(region)
                added += 1
        await session.commit()
        catalog = CatalogService(session, couch)
        added += await catalog.seed_services()
        for region in pilot_regions():
            added += await catalog.seed_region(region)
            await catalog.push_region(region.code)
    # the population register's stand-in: synthetic families in every demo region
    added += await load_synthetic(engine, [r.code for r in pilot_regions()], DEMO_FAMILIES)
    return added
