"""The same migrations and demo data on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from sqlalchemy import inspect

from server.db import make_engine, migrate
from server.demo import load_demo


def run(coro):
    return asyncio.run(coro)


def test_migrations_create_the_schema_and_are_repeatable(sql_url):
    migrate(sql_url)  # second run: nothing to do, no error

    async def tables():
        engine = make_engine(sql_url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        await engine.dispose()
        return set(names)

    assert {"region", "agency", "service", "regionservice", "serviceversion", "regionday", "alembic_version"} <= run(tables())


def test_demo_data_loads_the_pilot_regions_once(sql_url):
    """21 regions, 3 agencies each, 39 services each published once, the synthetic residents;
    nothing the second time."""
    async def load_twice():
        engine = make_engine(sql_url)
        try:
            return await load_demo(engine), await load_demo(engine)
        finally:
            await engine.dispose()

    first, second = run(load_twice())
    from identity.synthetic import generate_residents
    from server.demo import DEMO_FAMILIES, pilot_regions

    residents = len(generate_residents([r.code for r in pilot_regions()], DEMO_FAMILIES))
    assert residents > 2000
    assert first == 21 + 39 + 21 * (3 + 39) + residents
    assert second == 0


def test_the_migrations_build_exactly_the_models(sql_url):
    """A model changed without a migration (or the reverse) shows up here, on both databases."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import server.app  # noqa: F401  # every model is imported by the app

    migrate(sql_url)

    async def drift():
        engine = make_engine(sql_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), SQLModel.metadata))
        finally:
            await engine.dispose()

    assert run(drift()) == []


def test_an_ingest_checkpoint_holds_a_cluster_seq_of_any_length(sql_url):
    """A CouchDB cluster's seq is opaque and grows with its shards (270 characters for q=8)."""
    from sqlmodel.ext.asyncio.session import AsyncSession

    from sync.models import IngestCursor

    seq = "1234-g1AAAA" + "x" * 600

    async def roundtrip():
        engine = make_engine(sql_url)
        try:
            async with AsyncSession(engine) as session:
                session.add(IngestCursor(db_name="userdb-ab12", since=seq))
                await session.commit()
            async with AsyncSession(engine) as session:
                return (await session.get(IngestCursor, "userdb-ab12")).since
        finally:
            await engine.dispose()

    assert run(roundtrip()) == seq
