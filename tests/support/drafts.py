"""Drafts as a person's device writes them, put straight into their CouchDB database, and the
worker's steps run to the end — for the ingest tests, the crash test and the ingest bench."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account
from server.applications.validation import CatalogRules
from server.db import make_engine
from sync.ingest import Ingestor, IngestReport
from sync.ledger import mark_changed
from sync.publisher import Publisher, PublishReport
from sync.userdb import ensure_userdb

T = TypeVar("T")

# adminduk-kk, version 1 in every seeded region: the answers a person would give
KK_VALUES = {"jenis_permohonan": "baru", "nik_pemohon": "3302015505900001", "nik_kepala_keluarga": "3302015505900001",
             "no_hp": "081234567890"}
NOW = "2026-03-02T01:00:00.000Z"


def draft(region: str = "21.71", service: str = "adminduk-kk", version: int = 1, values: dict[str, Any] | None = None,
          state: str = "submitted", draft_id: str | None = None) -> dict[str, Any]:
    submitted = state == "submitted"
    return {
        "_id": draft_id or f"draft:{uuid.uuid4()}", "type": "draft", "service_id": service, "service_version": version,
        "region_code": region, "applicant": {"kind": "self"}, "values": dict(KK_VALUES if values is None else values),
        "state": state, "submission_id": str(uuid.uuid4()) if submitted else None,
        "created_at": NOW, "updated_at": NOW, "submitted_at": NOW if submitted else None, "client": "mpp-pwa/0.1",
    }


def resubmitted(doc: dict[str, Any], values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The same draft sent again (after a revision was asked for): new submission id, same _id."""
    return {**doc, "values": dict(values or doc["values"]), "state": "submitted", "submission_id": str(uuid.uuid4())}


class Stores:
    """An engine and a CouchDB client for one coroutine (engines do not cross event loops)."""

    def __init__(self, sql_url: str, couch_conf: Any):
        self.engine = make_engine(sql_url)
        self.couch = couch_conf.client()
        self.rules = CatalogRules()

    async def close(self) -> None:
        await self.couch.aclose()
        await self.engine.dispose()

    async def account(self) -> str:
        """A person with their database; returns the database name."""
        account_id = secrets.token_hex(16)
        async with AsyncSession(self.engine) as session:
            session.add(Account(id=account_id, kind="citizen", display_name="WARGA UJI"))
            await session.commit()
        return await ensure_userdb(self.couch, account_id)  # as the gateway makes it: _security and _design/mpp

    async def put(self, db: str, *docs: dict[str, Any], mark: bool = True) -> list[dict[str, Any]]:
        """Write docs as replication from the device would; each gets its new `_rev`. Marks the database."""
        results = await self.couch.bulk_docs(db, list(docs))
        assert all("error" not in r for r in results), results
        for doc, result in zip(docs, results):
            doc["_rev"] = result["rev"]
        if mark:
            async with AsyncSession(self.engine) as session:
                await mark_changed(session, db)
        return list(docs)

    async def work(self) -> tuple[IngestReport, PublishReport]:
        """Ingest every marked database and publish every pending status, until nothing is left."""
        ingestor, publisher = Ingestor(self.engine, self.couch, self.rules), Publisher(self.engine, self.couch)
        ingested, published = IngestReport(), PublishReport()
        while (r := await ingestor.run_once()).databases:
            ingested += r
        while (p := await publisher.run_once()).rows:
            for name in ("rows", "written", "unchanged", "failed"):
                setattr(published, name, getattr(published, name) + getattr(p, name))
        return ingested, published

    async def ingestor_sweep(self) -> int:
        """Mark every person's database, as the worker's periodic sweep does."""
        return await Ingestor(self.engine, self.couch, self.rules).sweep()

    async def work_with(self, publisher: Publisher) -> None:
        """Publish every pending status with `publisher` (its own clock and purge line)."""
        while (await publisher.run_once()).rows:
            pass

    async def status(self, db: str, draft_id: str) -> dict[str, Any] | None:
        return await self.couch.get_doc(db, "status:" + draft_id.split(":", 1)[1])

    async def rows(self, model: type, *where: Any) -> list[Any]:
        async with AsyncSession(self.engine) as session:
            return list(await session.exec(select(model).where(*where)))

    async def count(self, model: type, *where: Any) -> int:
        async with AsyncSession(self.engine) as session:
            return (await session.exec(select(func.count()).select_from(model).where(*where))).one()


def with_stores(sql_url: str, couch_conf: Any, fn: Callable[[Stores], Awaitable[T]]) -> T:
    from tests.factories import run

    async def go() -> T:
        stores = Stores(sql_url, couch_conf)
        try:
            return await fn(stores)
        finally:
            await stores.close()

    return run(go())
