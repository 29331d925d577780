"""From a submitted draft in a person's database to one application and a status doc — on
SQLite and PostgreSQL, against the real PouchDB Server. Drafts are written straight into the
person's database (as the gateway would after checking them) and the database is marked."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col

from sync.drafts import status_id
from sync.ingest import Ingestor
from sync.models import Application, ApplicationEvent, IngestCursor, Outbox, Submission, TrackingSequence, WorkflowStep
from sync.publisher import Publisher
from tests.conftest import make_settings
from tests.factories import seed_regions, staff_session
from tests.support.drafts import KK_VALUES, Stores, draft, resubmitted, with_stores

NUMBER = re.compile(r"^MPP-2171-(\d{4})-(\d{6})$")


@pytest.fixture
def stores(sql_url, fresh_couch):
    seed_regions(sql_url, fresh_couch, ("21.71", "33.02"))
    return lambda fn: with_stores(sql_url, fresh_couch, fn)


def test_a_submitted_draft_becomes_one_application_and_a_received_status(stores):
    async def go(s: Stores):
        db = await s.account()
        (doc,) = await s.put(db, draft())
        ingested, published = await s.work()
        apps = await s.rows(Application)
        status = await s.status(db, doc["_id"])
        return ingested, published, apps, status, await s.rows(WorkflowStep), await s.rows(Submission), await s.rows(Outbox)

    ingested, published, apps, status, steps, subs, outbox = stores(go)
    assert (ingested.accepted, ingested.invalid, published.written) == (1, 0, 1)
    (app,) = apps
    assert NUMBER.match(app.tracking_number) and app.tracking_number.endswith("-000001")
    assert (app.state, app.region_code, app.service_id, app.service_version) == ("received", "21.71", "adminduk-kk", 1)
    assert app.values == KK_VALUES and app.due_date is not None
    assert [(st.position, st.agency_kind, st.state) for st in sorted(steps, key=lambda st: st.position)] == [
        (0, "disdukcapil", "open"), (1, "disdukcapil", "waiting")]
    assert [(x.outcome, x.application_id) for x in subs] == [("accepted", app.id)]
    assert all(row.done_at is not None for row in outbox) and len(outbox) == 1
    assert status["_id"] == status_id(app.draft_id) and status["type"] == "status"
    assert (status["state"], status["tracking_number"], status["submission_id"]) == ("received", app.tracking_number, app.submission_id)
    assert app.tracking_number in status["message"] and status["next_step"]
    assert "errors" not in status and [h["state"] for h in status["history"]] == ["received"]
    assert status["updated_at"].endswith("Z")


def test_the_same_submission_read_again_adds_nothing_and_rewrites_nothing(stores):
    async def go(s: Stores):
        db = await s.account()
        (doc,) = await s.put(db, draft())
        await s.work()
        first = await s.status(db, doc["_id"])
        counts = [await s.count(m) for m in (Application, Submission, ApplicationEvent, WorkflowStep, Outbox)]
        # replication retries the same revision, then the checkpoint is lost: everything is read again
        await s.put(db, {**doc, "updated_at": "2026-03-02T02:00:00.000Z"})
        await s.work()
        async with s.engine.begin() as conn:
            await conn.execute(IngestCursor.__table__.update().values(since="0"))
        await s.put(db, mark=True)
        ingested, published = await s.work()
        again = [await s.count(m) for m in (Application, Submission, ApplicationEvent, WorkflowStep, Outbox)]
        return counts, again, ingested, published, first, await s.status(db, doc["_id"])

    counts, again, ingested, published, first, last = stores(go)
    assert counts == again == [1, 1, 1, 2, 1]
    assert ingested.submissions == 0 and published.rows == 0
    assert last["_rev"] == first["_rev"]


def test_invalid_answers_give_an_invalid_status_with_field_errors_and_no_application(stores):
    async def go(s: Stores):
        db = await s.account()
        (doc,) = await s.put(db, draft(values={**KK_VALUES, "nik_pemohon": "12345", "no_hp": ""}))
        await s.work()
        return await s.rows(Application), await s.rows(Submission), await s.status(db, doc["_id"]), doc

    apps, subs, status, doc = stores(go)
    assert apps == []
    (sub,) = subs
    assert sub.outcome == "invalid" and sub.application_id is None
    assert set(sub.errors) == {"nik_pemohon", "no_hp"} and sub.errors["nik_pemohon"] == "NIK harus 16 angka."
    assert (status["state"], status["tracking_number"], status["submission_id"]) == ("invalid", None, doc["submission_id"])
    assert status["errors"] == sub.errors
    assert "2 isian" in status["message"] and "perbaiki" in status["next_step"]


def test_a_service_the_region_does_not_offer_is_refused_with_a_sentence_for_the_whole_draft(stores):
    async def go(s: Stores):
        db = await s.account()
        docs = await s.put(db, draft(service="tidak-ada"), draft(version=99), draft(region="99.99"))
        await s.work()
        return [await s.status(db, d["_id"]) for d in docs], await s.count(Application)

    statuses, apps = stores(go)
    assert apps == 0
    assert [list(st["errors"]) for st in statuses] == [["_service"], ["_service"], ["_region"]]
    assert all(st["state"] == "invalid" and st["next_step"].startswith(st["errors"][next(iter(st["errors"]))]) for st in statuses)


def test_tracking_numbers_count_up_per_region_and_year(stores):
    async def go(s: Stores):
        a, b = await s.account(), await s.account()
        await s.put(a, draft(), draft(region="33.02"))
        await s.put(b, draft(), draft(), draft(region="33.02"))
        await s.work()
        await s.put(a, draft())
        await s.work()
        return await s.rows(Application), await s.rows(TrackingSequence)

    apps, sequences = stores(go)
    by_region: dict[str, list[str]] = {}
    for app in sorted(apps, key=lambda a: a.id):
        by_region.setdefault(app.region_code, []).append(app.tracking_number)
    year = by_region["21.71"][0].split("-")[2]
    assert by_region["21.71"] == [f"MPP-2171-{year}-{n:06d}" for n in (1, 2, 3, 4)]
    assert by_region["33.02"] == [f"MPP-3302-{year}-{n:06d}" for n in (1, 2)]
    assert {(q.region_code, q.year, q.last) for q in sequences} == {("21.71", int(year), 4), ("33.02", int(year), 2)}


def test_a_database_nobody_marked_is_found_by_the_sweep(stores):
    async def go(s: Stores):
        db = await s.account()
        (doc,) = await s.put(db, draft(), mark=False)
        before, _ = await s.work()
        swept = await Ingestor(s.engine, s.couch, s.rules).sweep()
        after, _ = await s.work()
        return before, swept, after, await s.status(db, doc["_id"])

    before, swept, after, status = stores(go)
    assert before.databases == 0 and swept >= 1
    assert after.accepted == 1 and status["state"] == "received"


def test_a_new_submission_while_the_application_is_locked_is_recorded_but_not_applied(stores):
    async def go(s: Stores):
        db = await s.account()
        (doc,) = await s.put(db, draft())
        await s.work()
        held = (await s.rows(Application))[0]
        # the gateway refuses this write; a race between two devices could still let one through
        (late,) = await s.put(db, resubmitted(doc, {**KK_VALUES, "no_hp": "081299990000"}))
        ingested, _ = await s.work()
        return held, ingested, (await s.rows(Application))[0], await s.rows(Submission, Submission.submission_id == late["submission_id"]), await s.status(db, doc["_id"])

    held, ingested, app, (late,), status = stores(go)
    assert ingested.ignored == 1
    assert (late.outcome, late.application_id) == ("ignored", app.id)
    assert (app.values, app.submission_id, app.state) == (held.values, held.submission_id, "received")
    assert status["submission_id"] == held.submission_id and status["state"] == "received"


def test_a_draft_id_of_another_persons_application_is_refused_there_and_leaves_theirs_alone(stores):
    async def go(s: Stores):
        owner, other = await s.account(), await s.account()
        (doc,) = await s.put(owner, draft())
        await s.work()
        copy = resubmitted({k: v for k, v in doc.items() if k != "_rev"})
        await s.put(other, copy)
        await s.work()
        return await s.rows(Application), await s.status(owner, doc["_id"]), await s.status(other, doc["_id"])

    (app,), mine, theirs = stores(go)
    assert app.submission_id == mine["submission_id"] and mine["state"] == "received"
    assert theirs["state"] == "invalid" and theirs["tracking_number"] is None and list(theirs["errors"]) == ["_draft"]
    assert theirs["history"] == []


def test_conflicting_revisions_are_read_by_their_winner(stores):
    """CouchDB's winner (longest history, then the highest rev) decides, the same on every node."""

    async def go(s: Stores):
        db = await s.account()
        won, lost = draft(), draft()
        base_lost = {**lost, "state": "draft", "submission_id": None}
        leaves = [
            {**won, "_rev": "2-ffff", "_revisions": {"start": 2, "ids": ["ffff", "aaaa"]}},  # submitted, wins
            {**won, "state": "draft", "submission_id": None, "_rev": "2-0000", "_revisions": {"start": 2, "ids": ["0000", "aaaa"]}},
            {**lost, "_rev": "2-0000", "_revisions": {"start": 2, "ids": ["0000", "bbbb"]}},  # submitted, loses
            {**base_lost, "_rev": "2-ffff", "_revisions": {"start": 2, "ids": ["ffff", "bbbb"]}},
        ]
        r = await s.couch.http.post(f"{s.couch.db_path(db)}/_bulk_docs", json={"docs": leaves, "new_edits": False})
        assert r.status_code == 201, r.text
        await s.put(db)
        await s.work()
        return won, lost, await s.rows(Application)

    won, lost, apps = stores(go)
    assert [a.draft_id for a in apps] == [won["_id"]]


def test_several_outbox_rows_for_one_draft_are_one_write(stores):
    async def go(s: Stores):
        db = await s.account()
        (doc,) = await s.put(db, draft())
        await s.work()
        before = await s.status(db, doc["_id"])
        from sqlmodel.ext.asyncio.session import AsyncSession

        async with AsyncSession(s.engine) as session:
            session.add_all([Outbox(db_name=db, draft_id=doc["_id"]) for _ in range(3)])
            await session.commit()
        report = await Publisher(s.engine, s.couch).run_once()
        return before, report, await s.status(db, doc["_id"]), await s.count(Outbox, col(Outbox.done_at).is_(None))

    before, report, after, pending = stores(go)
    assert (report.rows, report.written, report.unchanged, pending) == (3, 0, 1, 0)
    assert after["_rev"] == before["_rev"]


def test_revision_through_the_operator_api_then_resubmission_keeps_the_tracking_number(stores, sql_url, fresh_couch, tmp_path):
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app

    state = {}

    async def submit(s: Stores):
        state["db"] = db = await s.account()
        (state["doc"],) = await s.put(db, draft())
        await s.work()
        return (await s.rows(Application))[0].tracking_number

    number = stores(submit)
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(staff_session(sql_url, "agency_operator", "21.71", agency_kind="disdukcapil"))
        base = f"/api/wilayah/21.71/permohonan/{number}"
        r = client.post(base + "/tindakan", json={"action": "request_revision", "note": "Foto KTP buram, mohon unggah ulang."})
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["due_date"]) == ("needs_revision", None)  # the SLA clock waits for the person

        async def revision_seen(s: Stores):
            await s.work()
            return await s.status(state["db"], state["doc"]["_id"])

        status = stores(revision_seen)
        assert (status["state"], status["tracking_number"]) == ("needs_revision", number)
        assert "Foto KTP buram" in status["message"] and [h["state"] for h in status["history"]] == ["received", "needs_revision"]

        async def resend(s: Stores):
            (doc,) = await s.put(state["db"], resubmitted(state["doc"], {**KK_VALUES, "no_hp": "081299990000"}))
            await s.work()
            return doc, await s.status(state["db"], doc["_id"]), await s.rows(Application)

        doc, status, (app,) = stores(resend)
        assert (status["state"], status["tracking_number"], status["submission_id"]) == ("resubmitted", number, doc["submission_id"])
        assert app.values["no_hp"] == "081299990000" and app.due_date is not None
        r = client.get(base)
        assert r.status_code == 200
        assert {k: r.json()[k] for k in ("tracking_number", "state", "service_id", "submissions")} == {
            "tracking_number": number, "state": "resubmitted", "service_id": "adminduk-kk", "submissions": 2}

        r = client.post(base + "/tindakan", json={"action": "approve", "note": "Dokumen dapat dicetak mandiri."})
        assert r.status_code == 200 and r.json()["state"] == "approved"
        r = client.post(base + "/tindakan", json={"action": "start_review", "note": ""})
        assert r.status_code == 409 and r.json()["code"] == "application.action_not_allowed"
        assert stores(lambda s: s.count(ApplicationEvent)) == 4  # received, needs_revision, resubmitted, approved


def test_an_invalid_resend_after_revision_keeps_the_number_and_shows_the_errors(stores, sql_url):
    from server.applications import transitions

    async def go(s: Stores):
        db = await s.account()
        (doc,) = await s.put(db, draft())
        await s.work()
        app = (await s.rows(Application))[0]
        from sqlmodel.ext.asyncio.session import AsyncSession

        async with AsyncSession(s.engine, expire_on_commit=False) as session:
            operator = transitions.Acting("operator", "0" * 32, "agency_operator", "disdukcapil")
            await transitions.act(session, await session.get(Application, app.id), "request_revision", operator, s.rules,
                                  note="Lengkapi NIK.")
            await session.commit()
        (bad,) = await s.put(db, resubmitted(doc, {**KK_VALUES, "nik_pemohon": "1"}))
        await s.work()
        invalid = await s.status(db, doc["_id"])
        (good,) = await s.put(db, resubmitted(bad, KK_VALUES))
        await s.work()
        return app, invalid, bad, await s.status(db, doc["_id"]), good, (await s.rows(Application))[0]

    app, invalid, bad, received, good, after = stores(go)
    assert (invalid["state"], invalid["tracking_number"], invalid["submission_id"]) == ("invalid", app.tracking_number, bad["submission_id"])
    assert list(invalid["errors"]) == ["nik_pemohon"] and "tetap sama" in invalid["next_step"]
    assert (received["state"], received["submission_id"], after.tracking_number) == ("resubmitted", good["submission_id"], app.tracking_number)


def test_the_operator_api_answers_404_for_unknown_or_other_region_numbers(stores, sql_url, fresh_couch, tmp_path):
    from litestar.testing import TestClient

    from server.accounts.sessions import session_config
    from server.app import create_app

    async def submit(s: Stores):
        db = await s.account()
        await s.put(db, draft())
        await s.work()
        return (await s.rows(Application))[0].tracking_number

    number = stores(submit)
    settings = make_settings(sql_url, fresh_couch, tmp_path)
    with TestClient(app=create_app(settings), session_config=session_config(settings)) as client:
        client.set_session_data(staff_session(sql_url, "agency_operator", "33.02", agency_kind="disdukcapil"))
        r = client.get(f"/api/wilayah/33.02/permohonan/{number}")
        assert r.status_code == 404 and r.json()["code"] == "application.not_found"
        r = client.post(f"/api/wilayah/33.02/permohonan/{number}/tindakan", json={"action": "approve"})
        assert r.status_code == 404
        r = client.get(f"/api/wilayah/21.71/permohonan/{number}")  # not their region: the guard refuses
        assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
        r = client.get("/api/wilayah/33.02/permohonan/MPP-3302-2026-999999")
        assert r.status_code == 404
        r = client.post(f"/api/wilayah/33.02/permohonan/{number}/tindakan", json={"action": "dibuang"})
        assert r.status_code == 404  # the number is looked up first: nothing about it leaks


def test_a_marked_database_is_read_once_per_mark(stores):
    async def go(s: Stores):
        db = await s.account()
        await s.put(db, draft())
        first, _ = await s.work()
        second, _ = await s.work()
        (cursor,) = await s.rows(IngestCursor)
        return first, second, cursor

    first, second, cursor = stores(go)
    assert first.databases == 1 and second.databases == 0
    assert cursor.marks == cursor.seen_marks == 1 and cursor.since not in ("", "0")


def test_a_status_that_cannot_be_written_is_tried_again_later(stores):
    from sqlmodel.ext.asyncio.session import AsyncSession

    from sync.userdb import ensure_userdb

    async def go(s: Stores):
        db = await s.account()
        (doc,) = await s.put(db, draft())
        await Ingestor(s.engine, s.couch, s.rules).run_once()
        await s.couch.http.delete(s.couch.db_path(db))  # the person's database is gone for a while
        publisher = Publisher(s.engine, s.couch)
        first = await publisher.run_once()
        (row,) = await s.rows(Outbox)
        too_early = await publisher.run_once()
        await ensure_userdb(s.couch, db.removeprefix("userdb-"))
        async with AsyncSession(s.engine) as session:
            waiting = await session.get(Outbox, row.id)
            waiting.next_attempt_at = waiting.created_at  # the back-off is over
            session.add(waiting)
            await session.commit()
        second = await publisher.run_once()
        return first, row, too_early, second, await s.rows(Outbox), await s.status(db, doc["_id"])

    first, row, too_early, second, (after,), status = stores(go)
    assert (first.failed, first.done, row.attempts, row.done_at) == (1, 0, 1, None)
    assert row.last_error and row.next_attempt_at > row.created_at
    assert too_early.rows == 0
    assert (second.written, after.done_at is not None) == (1, True) and status["state"] == "received"
