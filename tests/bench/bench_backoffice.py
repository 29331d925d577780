"""Back-office render times with 10,000 applications: the agency's queue and one application's
page, p50/p95 over real requests through the app — on SQLite and on PostgreSQL.

A fresh database is seeded with the region 21.71 and 10,000 applications inserted in bulk,
spread over every service the region offers, over the open and waiting states and over the
steps of each service (so every agency has a queue), each with its steps and one event. Then a
DPMPTSP operator requests the queue (first pages and filters) and application pages (each
writes its audit entry, as in production) through Litestar's test client, in process. Figures
only: nothing here fails on a time.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

NAME = "backoffice"

APPLICATIONS = 10_000
REQUESTS = 60
REGION = "21.71"
AGENCY = "dpmptsp"
STATES = ("received", "in_review", "resubmitted", "needs_revision", "received", "in_review", "approved", "completed")


async def _insert(sql_url: str) -> dict[str, Any]:
    from sqlalchemy import insert
    from sqlmodel import select
    from sqlmodel.ext.asyncio.session import AsyncSession

    from identity.models import Account, utcnow
    from server.applications import workflow
    from server.catalog.models import RegionService, ServiceVersion
    from server.db import make_engine
    from sync.models import Application, ApplicationEvent, WorkflowStep

    rng = random.Random(7)
    engine = make_engine(sql_url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            versions = list(await session.exec(select(ServiceVersion).join(RegionService, (RegionService.service_id == ServiceVersion.service_id)
                                                                           & (RegionService.region_code == ServiceVersion.region_code)
                                                                           & (RegionService.current_version == ServiceVersion.version))
                                               .where(ServiceVersion.region_code == REGION)))
            account_id = uuid.uuid4().hex
            session.add(Account(id=account_id, kind="citizen", display_name="WARGA BENCH", assurance="basic"))
            await session.commit()
            now, today = utcnow(), date.today()
            started = time.perf_counter()
            rows, mine = [], []
            for i in range(APPLICATIONS):
                version = versions[i % len(versions)]
                steps = workflow.steps_of(version.content.get("steps") or [])
                workable = [s for s in steps if not s.issues_output] or list(steps)
                state = STATES[i % len(STATES)]
                step = rng.choice(workable) if workable and state not in ("approved", "completed") else None
                number = f"MPP-2171-2026-{i + 1:06d}"
                rows.append({"draft_id": f"draft:bench-{i}", "account_id": account_id, "region_code": REGION,
                             "service_id": version.service_id, "service_version": version.version, "tracking_number": number,
                             "state": state, "submission_id": "s1", "values": {"nama_lengkap": "WARGA BENCH"},
                             "due_date": today + timedelta(days=rng.randint(-10, 15)) if state != "needs_revision" else None,
                             "created_at": now - timedelta(minutes=i), "updated_at": now, "applicant_kind": "self", "applicant": {},
                             "step_position": step.position if step else None, "step_agency": step.agency if step else None,
                             "step_count": len(steps), "auto_issue": bool(version.content.get("auto_issue_on_sla"))})
                if step and step.agency == AGENCY and state in workflow.OPEN_STATES:
                    mine.append(number)
            for chunk in range(0, len(rows), 1000):
                await session.exec(insert(Application.__table__), params=rows[chunk:chunk + 1000])  # type: ignore[call-overload]
            ids = dict((await session.exec(select(Application.tracking_number, Application.id))).all())
            by_service = {(v.service_id, v.version): workflow.steps_of(v.content.get("steps") or []) for v in versions}
            steps_rows, events = [], []
            for row in rows:
                app_id = ids[row["tracking_number"]]
                for s in by_service[(row["service_id"], row["service_version"])]:
                    steps_rows.append({"application_id": app_id, "position": s.position, "name": s.name[:200], "agency_kind": s.agency,
                                       "step_id": s.id, "issues_output": s.issues_output, "opened_at": now,
                                       "state": "open" if s.position == row["step_position"] else "waiting"})
                events.append({"application_id": app_id, "at": now, "state": "received", "note": "Permohonan diterima.", "by": "system",
                               "action": "", "actor_role": "", "actor_agency": "", "details": {}})
            for model, data in ((WorkflowStep, steps_rows), (ApplicationEvent, events)):
                for chunk in range(0, len(data), 2000):
                    await session.exec(insert(model.__table__), params=data[chunk:chunk + 2000])  # type: ignore[call-overload]
            await session.commit()
            return {"insert_s": round(time.perf_counter() - started, 2), "services": len(versions), "steps": len(steps_rows),
                    "agency_open": len(mine), "sample": rng.sample(mine, min(REQUESTS, len(mine)))}
    finally:
        await engine.dispose()


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def _measure(sql_url: str, couch: Any, folder: Path) -> dict[str, Any]:
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app
    from server.db import make_engine, migrate, sql_version
    from server.settings import Settings
    from tests.factories import seed_regions, staff_session
    from tests.support.env import app_env

    migrate(sql_url)
    seed_regions(sql_url, couch, (REGION,))
    seeded = asyncio.run(_insert(sql_url))

    async def version() -> str:
        engine = make_engine(sql_url)
        try:
            return await sql_version(engine)
        finally:
            await engine.dispose()

    settings = Settings.from_env(app_env(sql_url, couch, folder))
    queue_urls = [f"/backoffice/wilayah/{REGION}/antrian" + q for q in
                  ("", "?halaman=2", "?sla=lewat", "?sla=hampir", "?status=in_review", "?sla=jeda")]
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(staff_session(sql_url, "agency_operator", REGION, agency_kind=AGENCY))
        for url in queue_urls[:2]:  # warm up: templates compiled, connections open
            assert client.get(url).status_code == 200
        queue, page = [], []
        for i in range(REQUESTS):
            started = time.perf_counter()
            r = client.get(queue_urls[i % len(queue_urls)])
            queue.append(time.perf_counter() - started)
            assert r.status_code == 200, r.status_code
        for number in seeded["sample"]:
            started = time.perf_counter()
            r = client.get(f"/backoffice/wilayah/{REGION}/permohonan/{number}")
            page.append(time.perf_counter() - started)
            assert r.status_code == 200, r.status_code
    sample = seeded.pop("sample")
    return {"sql": asyncio.run(version()), "applications": APPLICATIONS, **seeded, "pages_sampled": len(sample),
            "queue": _percentiles(queue), "application_page": _percentiles(page)}


def run(ctx) -> dict[str, Any]:
    from tests.support.env import sqlite_url
    from tests.support.postgres import PostgresCluster, find_postgres_bin

    folder = ctx.tmp / f"backoffice-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    result: dict[str, Any] = {"sqlite": _measure(sqlite_url(folder), ctx.couch, folder)}
    bindir = find_postgres_bin()
    if bindir is None:
        result["postgresql"] = {"skipped": "PostgreSQL is not installed (make system-deps installs it)"}
        return result
    workdir = Path(tempfile.mkdtemp(prefix="mpp-bench-pg-"))
    cluster = PostgresCluster(bindir, workdir).start()
    try:
        pg_folder = ctx.tmp / f"backoffice-pg-{uuid.uuid4().hex[:8]}"
        pg_folder.mkdir()
        result["postgresql"] = _measure(cluster.create_database("bench_backoffice"), ctx.couch, pg_folder)
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def table(result: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for store in ("sqlite", "postgresql"):
        r = result[store]
        if "skipped" in r:
            rows.append((store, f"skipped: {r['skipped']}"))
            continue
        rows += [
            (f"{store}: store", r["sql"]),
            (f"{store}: data", f"{r['applications']:,} applications over {r['services']} services, {r['steps']:,} steps "
                               f"(inserted in {r['insert_s']:.1f} s); {r['agency_open']:,} open at DPMPTSP"),
        ]
        for key, label in (("queue", "queue page"), ("application_page", "application page")):
            p = r[key]
            rows.append((f"{store}: {label}", f"p50 {p['p50_ms']:.1f} ms, p95 {p['p95_ms']:.1f} ms, max {p['max_ms']:.1f} ms ({p['n']} requests)"))
    return rows
