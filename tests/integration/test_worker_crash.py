"""The real worker (`python -m server worker`) killed with SIGKILL at several points and started
again: every draft still ends as exactly one application (or one invalid submission) with one
status doc, and no tracking number is given twice or skipped."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sync.models import Application, ApplicationEvent, IngestCursor, Outbox, Submission, WorkflowStep
from tests.factories import seed_regions
from tests.support.drafts import KK_VALUES, Stores, draft, with_stores
from tests.support.env import app_env

ROOT = Path(__file__).resolve().parents[2]
DATABASES = 10
PER_DATABASE = 30  # 300 drafts; every tenth is invalid
DEADLINE_S = 180


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    # small pages: many commits per database, so a kill lands between and inside them
    return subprocess.Popen([sys.executable, "-m", "server", "worker", "--poll", "0.05", "--sweep", "3600", "--batch", "7"],
                            cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


async def count(s: Stores, model: type, *where) -> int:
    async with AsyncSession(s.engine) as session:
        return (await session.exec(select(func.count()).select_from(model).where(*where))).one()


async def _at_least(s: Stores, n: int, model: type, *where) -> bool:
    return await count(s, model, *where) >= n


async def wait_for(predicate, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not await predicate():
        assert proc.poll() is None, f"the worker exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        assert time.monotonic() < deadline, f"the worker did not get there in time:\n{log.read_text()[-3000:]}"
        await asyncio.sleep(0.02)


def test_a_worker_killed_at_any_point_and_restarted_loses_and_doubles_nothing(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    env = {**os.environ, **app_env(sql_url, fresh_couch, tmp_path)}
    log = tmp_path / "worker.log"

    async def go(s: Stores):
        expected, valid = await feed(s)

        def apps_at_least(n):
            return lambda: _at_least(s, n, Application)

        def published_at_least(n):
            return lambda: _at_least(s, n, Outbox, col(Outbox.done_at).is_not(None))

        kills = []
        for point in (apps_at_least(25), apps_at_least(110), apps_at_least(200), published_at_least(40), published_at_least(180)):
            proc = start_worker(env, log)
            await wait_for(point, proc, log)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            kills.append((await count(s, Application), await count(s, Outbox, col(Outbox.done_at).is_(None))))

        proc = start_worker(env, log)
        try:
            async def finished():
                return (await count(s, Submission) == len(expected)
                        and await count(s, Outbox, col(Outbox.done_at).is_(None)) == 0)

            await wait_for(finished, proc, log)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(20)
        return expected, valid, kills, code

    expected, valid, kills, code = with_stores(sql_url, fresh_couch, go)
    assert code == 0, "SIGTERM stops the worker cleanly"
    # the kills came while work was left: at least one during ingest, at least one during publishing
    assert any(apps < valid for apps, _ in kills) and any(pending > 0 for apps, pending in kills if apps == valid), kills
    assert_exactly_once(sql_url, fresh_couch, expected, valid)


def test_two_workers_at_once_share_the_work_without_doing_any_twice(sql_url, fresh_couch, tmp_path):
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    env = {**os.environ, **app_env(sql_url, fresh_couch, tmp_path)}
    log = tmp_path / "workers.log"

    async def go(s: Stores):
        procs = [start_worker(env, log) for _ in range(2)]
        try:
            expected, valid = await feed(s)

            async def finished():
                return (await count(s, Submission) == len(expected)
                        and await count(s, Outbox, col(Outbox.done_at).is_(None)) == 0)

            for proc in procs:
                await wait_for(finished, proc, log)
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            codes = [proc.wait(20) for proc in procs]
        return expected, valid, codes

    expected, valid, codes = with_stores(sql_url, fresh_couch, go)
    assert codes == [0, 0]
    # losing a race is expected (a batch is read again); a failure such as a deadlock is not
    assert " WARNING " not in log.read_text() and " ERROR " not in log.read_text(), log.read_text()[-3000:]
    assert_exactly_once(sql_url, fresh_couch, expected, valid)


async def feed(s: Stores) -> tuple[dict[str, tuple[str, dict]], int]:
    """300 submitted drafts in 10 people's databases, two regions; every tenth is invalid."""
    expected: dict[str, tuple[str, dict]] = {}  # draft id -> (database, doc)
    for i in range(DATABASES):
        db = await s.account()
        docs = [draft(region="21.71" if (i + j) % 3 else "33.02",
                      values={**KK_VALUES, "nik_pemohon": "123"} if j % 10 == 9 else None) for j in range(PER_DATABASE)]
        await s.put(db, *docs)
        expected.update({d["_id"]: (db, d) for d in docs})
    return expected, sum(1 for _, d in expected.values() if d["values"]["nik_pemohon"] != "123")


def assert_exactly_once(sql_url, couch, expected: dict[str, tuple[str, dict]], valid: int) -> None:
    """The rows and status docs one uninterrupted run would have written, and nothing else."""

    async def check(s: Stores):
        async with AsyncSession(s.engine) as session:
            apps = list(await session.exec(select(Application)))
            subs = list(await session.exec(select(Submission)))
            events = (await session.exec(select(func.count()).select_from(ApplicationEvent))).one()
            steps = (await session.exec(select(func.count()).select_from(WorkflowStep))).one()
            outbox = (await session.exec(select(func.count()).select_from(Outbox))).one()
            cursors = list(await session.exec(select(IngestCursor)))
        statuses = {}
        for db in {db for db, _ in expected.values()}:
            for row in await s.couch.all_docs(db):
                if row["id"].startswith("status:"):
                    statuses["draft:" + row["id"].split(":", 1)[1]] = (db, row["doc"])
        return apps, subs, events, steps, outbox, cursors, statuses

    apps, subs, events, steps, outbox, cursors, statuses = with_stores(sql_url, couch, check)
    by_draft = {a.draft_id: a for a in apps}
    assert len(apps) == len(by_draft) == valid
    assert sorted((x.draft_id, x.submission_id) for x in subs) == sorted((d["_id"], d["submission_id"]) for _, d in expected.values())
    assert (events, steps, outbox) == (valid, 2 * valid, len(expected))  # as many as one run without a crash writes
    assert all(c.marks == c.seen_marks for c in cursors)
    for region in ("21.71", "33.02"):
        numbers = sorted(int(a.tracking_number.rsplit("-", 1)[1]) for a in apps if a.region_code == region)
        assert numbers == list(range(1, len(numbers) + 1)), f"{region}: numbers skipped or given twice"
    assert set(statuses) == set(expected)
    for draft_id, (db, doc) in expected.items():
        status_db, status = statuses[draft_id]
        assert status_db == db and status["submission_id"] == doc["submission_id"]
        if draft_id in by_draft:
            assert (status["state"], status["tracking_number"]) == ("received", by_draft[draft_id].tracking_number)
        else:
            assert (status["state"], status["tracking_number"], list(status["errors"])) == ("invalid", None, ["nik_pemohon"])


def test_run_starts_the_worker_as_a_child_and_ctrl_c_stops_it(tmp_path):
    from sync.embedded import free_port
    from tests.integration.test_launcher import children_of, start, wait_healthy

    var, port, log = tmp_path / "var", free_port(), tmp_path / "run.log"
    proc = start(var, port, log)
    try:
        wait_healthy(f"http://localhost:{port}", proc, log)
        workers = [pid for pid in children_of(proc.pid)
                   if b"server\x00worker" in Path(f"/proc/{pid}/cmdline").read_bytes()]
        assert len(workers) == 1, log.read_text()[-2000:]
        deadline = time.monotonic() + 60
        while "worker started" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        assert proc.wait(30) == 0
    assert not Path(f"/proc/{workers[0]}").exists()
    assert "worker stopped" in log.read_text() and "Stopped the worker." in log.read_text()
