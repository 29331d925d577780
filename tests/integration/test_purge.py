"""Finished applications leave the device: once an application is approved or rejected and
unchanged for `PURGE_AFTER_DAYS`, the worker publishes its status doc again with `purge: true`
— once, found through a cursor, on SQLite and PostgreSQL. Time is moved by writing
`updated_at` in SQL and by the publisher's clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from server.settings import ConfigError, Settings
from sync.models import Application, Outbox, PurgeCursor
from sync.worker import Worker
from tests.factories import seed_regions
from tests.support.drafts import Stores, draft, with_stores


@pytest.fixture
def stores(sql_url, fresh_couch):
    seed_regions(sql_url, fresh_couch, ("21.71",))
    return lambda fn: with_stores(sql_url, fresh_couch, fn)


async def age(s: Stores, draft_id: str, state: str, days: float) -> None:
    async with AsyncSession(s.engine) as session:
        await session.exec(update(Application).where(col(Application.draft_id) == draft_id)  # type: ignore[call-overload]
                           .values(state=state, updated_at=utcnow() - timedelta(days=days)))
        await session.commit()


def test_a_finished_application_older_than_the_line_is_published_again_with_purge_once(stores):
    async def go(s: Stores):
        db = await s.account()
        old_approved, young_rejected, old_open = await s.put(db, draft(), draft(), draft())
        await s.work()
        await age(s, old_approved["_id"], "completed", 40)
        await age(s, young_rejected["_id"], "rejected", 10)
        await age(s, old_open["_id"], "in_review", 40)
        worker = Worker(s.engine, s.couch, s.rules, purge_after_days=30)
        await worker.round()
        first = {d["_id"]: await s.status(db, d["_id"]) for d in (old_approved, young_rejected, old_open)}
        rows_after_first = await s.count(Outbox)
        again = await worker.publisher.enqueue_purges()  # the same line: nothing new
        worker.publisher.clock = lambda: utcnow() + timedelta(days=21)  # three weeks on: the rejected one crosses
        later = await worker.publisher.enqueue_purges()
        await s.work_with(worker.publisher)
        rejected_later = await s.status(db, young_rejected["_id"])
        cursor = (await s.rows(PurgeCursor))[0]
        return first, rows_after_first, again, later, rejected_later, cursor, await s.count(Outbox)

    first, rows_after_first, again, later, rejected_later, cursor, rows_at_end = stores(go)
    approved, rejected, open_ = first.values()
    assert approved["state"] == "completed" and approved["purge"] is True
    assert "purge" not in rejected and "purge" not in open_  # not enqueued: still as first published
    assert again == 0 and later == 1 and rows_at_end == rows_after_first + 1
    assert rejected_later["state"] == "rejected" and rejected_later["purge"] is True
    assert cursor.until > utcnow() - timedelta(days=30)


def test_purge_after_days_comes_from_the_environment_with_30_as_default():
    env = {name: "x" for name in ("DATABASE_URL", "COUCHDB_URL", "COUCHDB_USER", "COUCHDB_PASSWORD", "SECRET_KEY", "VAPID_PRIVATE_KEY",
                                  "VAPID_PUBLIC_KEY", "VAPID_SUBJECT", "BLOB_DIR", "PII_KEY")}
    env["PUBLIC_ORIGIN"], env["COUCHDB_URL"] = "http://localhost:8000", "http://127.0.0.1:5984"
    assert Settings.from_env(env).purge_after_days == 30
    assert Settings.from_env({**env, "PURGE_AFTER_DAYS": "7"}).purge_after_days == 7
    with pytest.raises(ConfigError):
        Settings.from_env({**env, "PURGE_AFTER_DAYS": "0"})
