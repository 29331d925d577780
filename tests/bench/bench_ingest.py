"""Ingest throughput: submitted drafts turned into applications per second, then status docs
published per second — on SQLite and on PostgreSQL, with the bench's PouchDB Server.

2,000 submitted drafts (adminduk-kk, every one valid) are written into 100 people's databases
(20 each) and every database is marked, as the gateway marks them. Then the worker's two steps
run in this process until nothing is left, each timed on its own: ingest (read `_changes`,
validate against the pinned version, write application, steps, event, submission, outbox and
checkpoint in one transaction per page) and publish (build each status doc from SQL, write it
into the person's database, mark the outbox rows done). PostgreSQL is a throw-away cluster in
a temporary folder (as the tests start it); without PostgreSQL installed that half is skipped
and says so. Figures only: nothing here fails on a time.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

NAME = "ingest"

DATABASES = 100
PER_DATABASE = 20
REGION = "21.71"


async def _measure(sql_url: str, couch_conf: Any) -> dict[str, Any]:
    from sync.ingest import Ingestor, IngestReport
    from sync.models import Application
    from sync.publisher import Publisher
    from tests.support.drafts import Stores, draft

    s = Stores(sql_url, couch_conf)
    try:
        dbs = [await s.account() for _ in range(DATABASES)]
        started = time.perf_counter()
        for db in dbs:
            await s.put(db, *[draft(region=REGION) for _ in range(PER_DATABASE)])
        feed_s = time.perf_counter() - started

        ingestor, publisher = Ingestor(s.engine, s.couch, s.rules), Publisher(s.engine, s.couch)
        report = IngestReport()
        started = time.perf_counter()
        while (r := await ingestor.run_once()).databases:
            report += r
        ingest_s = time.perf_counter() - started

        started, written, rounds = time.perf_counter(), 0, 0
        while (p := await publisher.run_once()).rows:
            written += p.written
            rounds += 1
        publish_s = time.perf_counter() - started

        async with AsyncSession(s.engine) as session:
            applications = (await session.exec(select(func.count()).select_from(Application))).one()
        for db in dbs:
            await s.couch.http.delete(s.couch.db_path(db))
        drafts = DATABASES * PER_DATABASE
        return {
            "drafts": drafts, "databases": DATABASES, "applications": applications, "accepted": report.accepted,
            "feed_s": round(feed_s, 2),
            "ingest_s": round(ingest_s, 2), "ingest_per_s": round(drafts / ingest_s, 1),
            "publish_s": round(publish_s, 2), "publish_per_s": round(written / publish_s, 1), "status_docs": written,
            "publish_batches": rounds,
            "end_to_end_per_s": round(drafts / (ingest_s + publish_s), 1),
        }
    finally:
        await s.close()


def _seed_and_measure(sql_url: str, couch: Any) -> dict[str, Any]:
    from server.db import migrate, sql_version
    from tests.factories import seed_regions

    migrate(sql_url)
    seed_regions(sql_url, couch, (REGION,))

    async def go() -> dict[str, Any]:
        from server.db import make_engine

        engine = make_engine(sql_url)
        try:
            version = await sql_version(engine)
        finally:
            await engine.dispose()
        return {"sql": version, **await _measure(sql_url, couch)}

    return asyncio.run(go())


def run(ctx) -> dict[str, Any]:
    from tests.support.env import sqlite_url
    from tests.support.postgres import PostgresCluster, find_postgres_bin

    folder = ctx.tmp / f"ingest-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    result: dict[str, Any] = {"sqlite": _seed_and_measure(sqlite_url(folder), ctx.couch)}
    bindir = find_postgres_bin()
    if bindir is None:
        result["postgresql"] = {"skipped": "PostgreSQL is not installed (make system-deps installs it)"}
        return result
    workdir = Path(tempfile.mkdtemp(prefix="mpp-bench-pg-"))
    cluster = PostgresCluster(bindir, workdir).start()
    try:
        result["postgresql"] = _seed_and_measure(cluster.create_database("bench_ingest"), ctx.couch)
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for store in ("sqlite", "postgresql"):
        r = result[store]
        if "skipped" in r:
            rows.append((f"{store}", f"skipped: {r['skipped']}"))
            continue
        rows += [
            (f"{store}: store", r["sql"]),
            (f"{store}: drafts", f"{r['drafts']:,} submitted in {r['databases']} databases -> {r['applications']:,} applications"),
            (f"{store}: ingest", f"{r['ingest_per_s']:,.0f} drafts/s ({r['ingest_s']:.2f} s)"),
            (f"{store}: publish", f"{r['publish_per_s']:,.0f} status docs/s ({r['publish_s']:.2f} s, {r['publish_batches']} batches)"),
            (f"{store}: ingest + publish", f"{r['end_to_end_per_s']:,.0f} drafts/s"),
        ]
    return rows
