"""The document budget of a person's database: the gateway refuses writes that would create
documents past it (with CouchDB's per-doc `forbidden` and the code `sync.budget_full`), and
always lets edits and deletes of existing documents through, on SQLite and PostgreSQL.

The budgets are lowered through `sync.budget` so a test writes a handful of docs, not 200; the
last test shows the gateway and `/api/identity/me` use those very constants."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import col

from identity.models import utcnow

from server.accounts.sessions import session_config
from server.app import create_app
from sync import budget
from tests.conftest import make_settings
from sync.models import Application
from tests.factories import _with_session, run, staff_session
from tests.integration.test_gateway_me import (  # noqa: F401
    ORIGIN,
    World,
    as_replication,
    assert_refused,
    doc_path,
    hold,
    put_draft,
    world,
)
from tests.support.drafts import draft


def bulk(w: World, docs: list[dict], **extra) -> list[dict]:
    r = w.client.post("/sync/me/_bulk_docs", json={"docs": docs, **extra}, headers={"Accept-Language": "id"})
    assert r.status_code == 201, r.text
    return r.json()


def fill(w: World, n: int) -> list[dict]:
    return [put_draft(w, draft(state="draft")) for _ in range(n)]


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(budget, "CITIZEN_DOCS", 3)
    monkeypatch.setattr(budget, "FIELD_OFFICER_DOCS", 5)


def test_a_new_draft_past_the_budget_is_refused_with_its_code_and_the_draft_is_not_written(world, small):
    fill(world, 3)
    extra = draft(state="draft")
    rows = bulk(world, [extra])
    assert rows[0]["error"] == "forbidden" and rows[0]["code"] == "sync.budget_full" and rows[0]["id"] == extra["_id"]
    assert "penuh" in rows[0]["reason"] and "3" in rows[0]["reason"]
    assert_refused(world.client.put(doc_path(extra["_id"]), json=extra), 403, "sync.budget_full")
    replicated = as_replication(extra, "1-" + "a" * 32)
    rows = bulk(world, [replicated], new_edits=False)
    assert [r.get("code") for r in rows] == ["sync.budget_full"]
    assert world.couch_get("/" + extra["_id"].replace(":", "%3A")).status_code == 404
    assert len([r for r in world.couch_get("/_all_docs").json()["rows"] if not r["id"].startswith("_design/")]) == 3


def test_an_edit_and_a_delete_at_the_budget_pass_and_a_delete_frees_a_place(world, small):
    first, second, _ = fill(world, 3)
    edited = {**first, "values": {**first["values"], "catatan": "diubah"}}
    new = draft(state="draft")
    rows = bulk(world, [edited, new])
    assert "error" not in rows[0] and rows[0]["id"] == first["_id"]
    assert rows[1]["code"] == "sync.budget_full"
    r = world.client.put(doc_path(second["_id"]), json={**second, "state": "submitted", "submission_id": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    second["_rev"] = r.json()["rev"]
    assert world.client.delete(doc_path(second["_id"]), params={"rev": second["_rev"]}).status_code == 200
    rows = bulk(world, [new, draft(state="draft")])  # one place free: the first new doc gets it
    assert "error" not in rows[0] and rows[1]["code"] == "sync.budget_full"


def test_an_application_past_the_purge_line_frees_its_two_places(world, small):
    first, _, _ = fill(world, 3)
    hold(world, first, "completed")

    async def age(session, engine):
        await session.exec(update(Application).where(col(Application.draft_id) == first["_id"])  # type: ignore[call-overload]
                           .values(updated_at=utcnow() - timedelta(days=world.settings.purge_after_days + 1)))
        await session.commit()

    assert bulk(world, [draft(state="draft")])[0]["code"] == "sync.budget_full"  # completed, but not yet past the line
    run(_with_session(world.sql_url, age))
    rows = bulk(world, [draft(state="draft"), draft(state="draft"), draft(state="draft")])
    assert ["error" in r for r in rows] == [False, False, True] and rows[2]["code"] == "sync.budget_full"


def test_a_field_officer_has_a_larger_budget_than_a_citizen(sql_url, fresh_couch, tmp_path, small):
    settings = make_settings(sql_url, fresh_couch, tmp_path, origin=ORIGIN)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        session = staff_session(sql_url, "field_officer", None)
        client.set_session_data(session)
        w = World(client, settings, sql_url, fresh_couch, session)
        fill(w, 5)
        rows = bulk(w, [draft(state="draft")])
        assert rows[0]["code"] == "sync.budget_full" and "5" in rows[0]["reason"]
        assert client.get("/api/identity/me").json()["doc_budget"] == 5


def test_the_real_budgets_are_200_for_a_citizen_and_5000_for_a_field_officer(world):
    assert (budget.CITIZEN_DOCS, budget.FIELD_OFFICER_DOCS) == (200, 5000)
    assert world.client.get("/api/identity/me").json()["doc_budget"] == 200
    world.client.set_session_data(staff_session(world.sql_url, "field_officer", None))
    assert world.client.get("/api/identity/me").json()["doc_budget"] == 5000
