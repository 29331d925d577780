"""Ingest: every submitted draft in a person's database reaches the agency exactly once.

The gateway marks a database after each accepted write (`sync.ledger.mark_changed`); a
periodic sweep marks every person's database, so a lost mark only delays. For a marked
database the worker reads `_changes` from the checkpoint kept in SQL (`IngestCursor.since`)
and, for each draft whose winning revision is "submitted" with a submission id not seen
before, validates it against the service version the draft pinned and writes, in ONE SQL
transaction with the new checkpoint:

- valid, first time: the `Application` (tracking number, state "received", SLA due date),
  its workflow steps, an event, the `Submission` and an `Outbox` row;
- valid, after "perlu perbaikan" (needs_revision): the same application with the new values
  and submission, "resubmitted" at the step that asked — the tracking number stays;
- invalid: a `Submission` with the errors per field and an `Outbox` row, no application;
- sent while the application is locked (another submission id): recorded as "ignored".

Exactly once: `Submission` is unique per (draft, submission id) and `Application` per draft,
and the checkpoint moves only with the rows it covers, so a crash at any point (kill -9
included) replays a batch that either committed whole or not at all.

Several workers: on PostgreSQL the cursor row of a database is taken with
`SELECT … FOR UPDATE SKIP LOCKED` for the whole batch, so two workers never read the same
database at once and a crashed worker's lock goes with its connection. On SQLite (one machine)
the checkpoint is moved with a compare-and-set that is the transaction's first write; a worker
that lost the race rolls back, and the unique keys stop anything that slipped through.

What the catalog says (form, steps, SLA, working days) is injected as `Rules`: this package
does not import the server (server/applications/validation.py implements it).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, Protocol

from sqlalchemy import case, insert, literal, select as sa_select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account, utcnow
from sync.applicants import APPLICANT, NO_CHECKER, ApplicantCheck, ApplicantRecord, new_check_code
from sync.couch import CouchClient
from sync.drafts import DRAFT_ID, SUBMISSION_ID, check_device_doc, is_assisted
from sync.files import hold_until_files_arrive
from sync.ledger import changed_databases
from sync.models import UNLOCKED_STATES, Application, ApplicationEvent, IngestCursor, Outbox, Submission, WorkflowStep
from sync.tracking import allocate_numbers, record

log = logging.getLogger("mpp.ingest")

USERDB_PREFIX = "userdb-"
BATCH_SIZE = 100

# Errors about the draft as a whole, not one answer. Form field ids start with a letter, so these
# keys never collide with them; the status doc's message repeats their sentences.
DRAFT_BROKEN = "_draft"
DRAFT_TAKEN = "Draf ini tidak dapat dikirim dari akun Anda. Buat draf baru untuk layanan ini, lalu kirim lagi."
DRAFT_MALFORMED = "Draf ini tidak lengkap atau rusak. Buka draf, periksa isiannya, lalu kirim lagi."
SERVICE_CHANGED = "Draf ini sudah terdaftar untuk layanan lain. Buat draf baru untuk layanan ini."


@dataclass(frozen=True)
class Accepted:
    """The draft may become (or update) an application."""

    values: dict[str, Any]  # the answers of the fields shown, nothing else
    steps: tuple[tuple[str, str, str, bool], ...]  # the procedure: (step id, name, agency kind, issues output), in order
    today: date  # at the region's offices: the tracking number's year and day 0 of the SLA
    applicant: ApplicantRecord | None = None  # an assisted draft: the person it is for, checked (sync.applicants)
    auto_issue: bool = False  # the service is issued by the system when its SLA lapses (SIP)


@dataclass(frozen=True)
class Refused:
    errors: dict[str, str]  # field id (or `_…` for the draft as a whole) -> an Indonesian sentence


class _Raced(Exception):
    """Another worker moved the checkpoint or the application first: roll back, read again later."""


class _Busy(Exception):
    """Another worker is reading this database now."""


class Rules(Protocol):
    """What ingest needs to know from the catalog."""

    async def check(self, session: AsyncSession, draft: dict[str, Any]) -> Accepted | Refused: ...

    async def due_date(self, session: AsyncSession, application: Application, events: Sequence[ApplicationEvent]) -> date | None: ...


@dataclass
class IngestReport:
    databases: int = 0
    changes: int = 0  # rows of `_changes` read
    accepted: int = 0
    invalid: int = 0
    ignored: int = 0
    committed: int = 0  # batches written with their checkpoint
    retried: int = 0  # batches rolled back (another worker, or a unique key) to be read again
    failed: int = 0  # databases that could not be read this time (CouchDB down, or a fault); read again later

    def __iadd__(self, other: IngestReport) -> IngestReport:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    @property
    def submissions(self) -> int:
        return self.accepted + self.invalid + self.ignored


_OURS = str(Path(__file__).resolve().parent.parent)


def where_raised(exc: BaseException) -> str:
    """Where in this project an exception was raised (file:line of the deepest frame of ours, and of the
    deepest frame if that is in a library), for logs that must not carry its message."""
    ours = last = None
    tb = exc.__traceback__
    while tb is not None:
        last = tb
        if tb.tb_frame.f_code.co_filename.startswith(_OURS) and "/.venv/" not in tb.tb_frame.f_code.co_filename:
            ours = tb
        tb = tb.tb_next
    if last is None:
        return "?"
    spots = [t for t in (ours, last) if t is not None]
    return " via ".join(dict.fromkeys(f"{t.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{t.tb_lineno}" for t in spots))


def _sqlstate(exc: BaseException) -> str:
    state = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(getattr(exc, "orig", None), "pgcode", None)
    return f" {state}" if state else ""


def _applicant_columns(verdict: Accepted) -> dict[str, Any]:
    """The Application columns about an assisted application's applicant (none for one's own)."""
    person = verdict.applicant
    if person is None:
        return {}
    return {"applicant_kind": "assisted", "applicant_nik_hash": person.nik_hash, "applicant_birth_date": person.birth_date,
            "applicant": person.data}


def account_of(db_name: str) -> str | None:
    """The account a `userdb-<hex>` database belongs to."""
    if not db_name.startswith(USERDB_PREFIX):
        return None
    account = db_name[len(USERDB_PREFIX):]
    return account if account and all(c in "0123456789abcdef" for c in account) else None


def seq_text(seq: Any) -> str:
    """CouchDB 3 seqs are strings, PouchDB Server's are integers: kept as text, passed back as read."""
    return seq if isinstance(seq, str) else json.dumps(seq)


def submitted_drafts(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The winning revisions in a page of `_changes` that are submitted drafts, in feed order."""
    found = []
    for row in results:
        doc = row.get("doc")
        if not isinstance(doc, dict) or row.get("deleted") or doc.get("_deleted"):
            continue
        if not DRAFT_ID.match(str(row.get("id", ""))) or doc.get("state") != "submitted":
            continue
        if not (isinstance(doc.get("submission_id"), str) and SUBMISSION_ID.match(doc["submission_id"])):
            continue
        found.append(doc)
    return found


class Ingestor:
    def __init__(self, engine: AsyncEngine, couch: CouchClient, rules: Rules, *, batch_size: int = BATCH_SIZE,
                 applicants: ApplicantCheck | None = None):
        self.engine = engine
        self.couch = couch
        self.rules = rules
        self.applicants = applicants  # checks the person of an assisted draft (registry); None: such drafts wait
        self.batch_size = batch_size
        self.row_locks = engine.dialect.name == "postgresql"

    async def run_once(self, limit: int = 100) -> IngestReport:
        """Read every database marked since it was last read (up to `limit` of them)."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            names = [c.db_name for c in await changed_databases(session, limit)]
        report = IngestReport()
        for name in names:
            try:
                report += await self.ingest_db(name)
            except Exception as exc:  # noqa: BLE001 — one database must not hold up everyone else's
                report.databases += 1
                report.failed += 1
                log.warning("ingest of one database failed (%s%s at %s); it stays marked and is read again",
                            type(exc).__name__, _sqlstate(exc), where_raised(exc))
        return report

    async def ingest_db(self, db_name: str) -> IngestReport:
        """Read `db_name` from its checkpoint to the end, one committed batch at a time."""
        report = IngestReport(databases=1)
        while True:
            batch = IngestReport(committed=1)  # counted only once committed
            try:
                async with AsyncSession(self.engine, expire_on_commit=False) as session:
                    more = await self._batch(session, db_name, batch)
            except _Busy:
                return report
            except (_Raced, IntegrityError) as exc:
                # another worker read this database or wrote the same rows first: read again later
                report.retried += 1
                log.info("an ingest batch was rolled back (%s); it will be read again", type(exc).__name__)
                return report
            report += batch
            if not more:
                return report

    async def _batch(self, session: AsyncSession, db_name: str, report: IngestReport) -> bool:
        """One page of changes; True when there may be more to read now."""
        account_id = account_of(db_name)
        async with session.begin():
            stmt = select(IngestCursor).where(IngestCursor.db_name == db_name)
            if self.row_locks:
                stmt = stmt.with_for_update(skip_locked=True)
            cursor = (await session.exec(stmt)).first()
            if cursor is None:
                raise _Busy()  # another worker holds it (or it is gone)
            since, marks = cursor.since, cursor.marks
            if account_id is None or await session.get(Account, account_id) is None:
                log.warning("ingest skips a database that belongs to no account")
                await self._checkpoint(session, db_name, since, since, marks)
                return False
            page = await self.couch.changes(db_name, since, self.batch_size)
            results = page["results"] if page else []
            last_seq = seq_text(page["last_seq"]) if page and results else since
            report.changes += len(results)
            more = len(results) >= self.batch_size
            drafts = submitted_drafts(results)

            seen = await self._seen(session, drafts)
            fresh = [d for d in drafts if (d["_id"], d["submission_id"]) not in seen]
            verdicts = {d["_id"]: await self._check(session, d, account_id) for d in fresh}

            # From here on this transaction writes: on SQLite the compare-and-set takes the write lock.
            if not await self._checkpoint(session, db_name, since, last_seq, None if more else marks):
                raise _Raced()
            if fresh:
                await self._apply(session, db_name, account_id, fresh, verdicts, report)
        return more

    async def _checkpoint(self, session: AsyncSession, db_name: str, since: str, new_since: str, marks: int | None) -> bool:
        """Move the checkpoint if nobody else moved it; with `marks`, also say they were all read."""
        values: dict[str, Any] = {"since": new_since}
        if marks is not None:
            values["seen_marks"] = case((IngestCursor.seen_marks < marks, literal(marks)), else_=IngestCursor.seen_marks)
        result = await session.exec(  # type: ignore[call-overload]
            update(IngestCursor).where(IngestCursor.db_name == db_name, IngestCursor.since == since).values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def _seen(self, session: AsyncSession, drafts: list[dict[str, Any]]) -> set[tuple[str, str]]:
        if not drafts:
            return set()
        rows = await session.exec(select(Submission.draft_id, Submission.submission_id).where(
            col(Submission.draft_id).in_({d["_id"] for d in drafts})))
        return {(draft_id, submission_id) for draft_id, submission_id in rows}

    async def _check(self, session: AsyncSession, doc: dict[str, Any], account_id: str) -> Accepted | Refused:
        if check_device_doc(doc) is not None:
            return Refused({DRAFT_BROKEN: DRAFT_MALFORMED})
        verdict = await self.rules.check(session, doc)
        if not is_assisted(doc):
            return verdict
        person = await self.applicants.check(session, account_id, doc) if self.applicants else NO_CHECKER
        if isinstance(person, str):  # the officer fixes the person's data (and any answers) and sends again
            return Refused({**(verdict.errors if isinstance(verdict, Refused) else {}), APPLICANT: person})
        return replace(verdict, applicant=person) if isinstance(verdict, Accepted) else verdict

    async def _apply(self, session: AsyncSession, db_name: str, account_id: str, drafts: list[dict[str, Any]],
                     verdicts: dict[str, Accepted | Refused], report: IngestReport) -> None:
        apps_stmt = select(Application).where(col(Application.draft_id).in_([d["_id"] for d in drafts]))
        if self.row_locks:
            apps_stmt = apps_stmt.with_for_update()
        apps = {a.draft_id: a for a in await session.exec(apps_stmt)}
        now = utcnow()
        new: list[tuple[dict[str, Any], Accepted]] = []
        for doc in drafts:
            draft_id, submission_id = doc["_id"], doc["submission_id"]
            app, verdict = apps.get(draft_id), verdicts[draft_id]
            sub = Submission(draft_id=draft_id, submission_id=submission_id, db_name=db_name, rev=doc["_rev"][:80],
                             outcome="accepted", received_at=now)
            if app is not None and app.account_id != account_id:
                # a draft id that is another person's application: never touch theirs
                sub.outcome, sub.errors = "invalid", {DRAFT_BROKEN: DRAFT_TAKEN}
            elif app is not None and app.state not in UNLOCKED_STATES:
                sub.outcome, sub.application_id = "ignored", app.id
            elif app is not None and (app.region_code, app.service_id) != (doc.get("region_code"), doc.get("service_id")):
                sub.outcome, sub.errors, sub.application_id = "invalid", {DRAFT_BROKEN: SERVICE_CHANGED}, app.id
            elif isinstance(verdict, Refused):
                sub.outcome, sub.errors, sub.application_id = "invalid", verdict.errors, app.id if app else None
            elif app is not None:
                await self._resubmitted(session, app, doc, verdict, db_name)
                sub.application_id = app.id
            else:
                new.append((doc, verdict))
                continue
            session.add(sub)
            if sub.outcome != "accepted":  # an accepted resubmission's outbox row came with its event
                session.add(Outbox(db_name=db_name, draft_id=draft_id))
            setattr(report, sub.outcome, getattr(report, sub.outcome) + 1)
        if new:
            await self._create(session, db_name, account_id, new, now)
            report.accepted += len(new)

    async def _resubmitted(self, session: AsyncSession, app: Application, doc: dict[str, Any], verdict: Accepted, db_name: str) -> None:
        """The person sent the draft again after a revision was asked for: same application, new values."""
        now = utcnow()
        events = list(await session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                                         .order_by(col(ApplicationEvent.at), col(ApplicationEvent.id))))
        event = ApplicationEvent(application_id=app.id, state="resubmitted", note="Perbaikan diterima.", at=now)
        due = await self.rules.due_date(session, app, [*events, event])
        # conditional on the state read: a staff decision committed meanwhile wins, this batch is read again
        result = await session.exec(update(Application).where(  # type: ignore[call-overload]
            Application.id == app.id, col(Application.state).in_(UNLOCKED_STATES)).values(
            state="resubmitted", values=verdict.values, submission_id=doc["submission_id"],
            service_version=int(doc["service_version"]), updated_at=now, due_date=due, **_applicant_columns(verdict))
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise _Raced()
        app.state, app.values, app.submission_id = "resubmitted", verdict.values, doc["submission_id"]
        app.service_version, app.updated_at, app.due_date = int(doc["service_version"]), now, due
        for name, value in _applicant_columns(verdict).items():  # the applicant's photos count below too
            setattr(app, name, value)
        record(session, app, db_name, event.state, event.note, event.by, at=now, action="resubmit", actor_role="citizen",
               step_position=app.step_position)
        await hold_until_files_arrive(session, app.account_id, [app])  # new photos named: wait for them

    async def _create(self, session: AsyncSession, db_name: str, account_id: str,
                      new: list[tuple[dict[str, Any], Accepted]], now) -> None:
        numbers: dict[tuple[str, int], list[str]] = {}
        for doc, verdict in new:
            numbers.setdefault((doc["region_code"], verdict.today.year), [])
        for (region, year), out in sorted(numbers.items()):  # one order in every worker: no deadlock between two batches
            count = sum(1 for doc, v in new if (doc["region_code"], v.today.year) == (region, year))
            out.extend(reversed(await allocate_numbers(session, region, year, count)))
        received = [ApplicationEvent(application_id=0, state="received", at=now)]
        owner = await session.get(Account, account_id)
        apps = []
        for doc, verdict in new:
            app = Application(
                draft_id=doc["_id"], account_id=account_id, region_code=doc["region_code"], service_id=doc["service_id"],
                service_version=int(doc["service_version"]), tracking_number=numbers[(doc["region_code"], verdict.today.year)].pop(),
                state="received", submission_id=doc["submission_id"], values=verdict.values, created_at=now, updated_at=now,
                step_position=0 if verdict.steps else None, step_agency=verdict.steps[0][2] if verdict.steps else None,
                step_count=len(verdict.steps), auto_issue=verdict.auto_issue,
            )
            app.due_date = await self.rules.due_date(session, app, received)
            if verdict.applicant is not None:
                for name, value in _applicant_columns(verdict).items():
                    setattr(app, name, value)
                app.filed_by, app.check_code = account_id, new_check_code()
            elif owner is not None:  # the person's own application: who it is for, for /lacak
                app.applicant_nik_hash, app.applicant_birth_date = owner.nik_hash, owner.birth_date
            session.add(app)
            apps.append(app)
        await session.flush()  # one multi-row INSERT … RETURNING id
        # The rest as one multi-row INSERT per table: the ORM's unit of work would cost more than the SQL.
        events, outbox, steps, subs = [], [], [], []
        for app, (doc, verdict) in zip(apps, new):
            events.append({"application_id": app.id, "at": now, "state": "received", "note": "Permohonan diterima.", "by": "system"})
            outbox.append({"db_name": db_name, "draft_id": app.draft_id, "created_at": now, "attempts": 0})
            steps.extend({"application_id": app.id, "position": position, "step_id": step_id[:60], "name": name[:200],
                          "agency_kind": agency_kind[:40], "issues_output": issues, "state": "waiting" if position else "open",
                          "opened_at": None if position else now}
                         for position, (step_id, name, agency_kind, issues) in enumerate(verdict.steps))
            subs.append({"draft_id": app.draft_id, "submission_id": app.submission_id, "db_name": db_name, "rev": doc["_rev"][:80],
                         "application_id": app.id, "outcome": "accepted", "errors": {}, "received_at": now})
        for model, rows in ((ApplicationEvent, events), (Outbox, outbox), (WorkflowStep, steps), (Submission, subs)):
            if rows:
                await session.exec(insert(model.__table__), params=rows)  # type: ignore[call-overload]
        await hold_until_files_arrive(session, account_id, apps)  # received means complete: see sync.files

    async def sweep(self) -> int:
        """Mark every person's database, so one whose mark was lost is read too; returns how many."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            known = select(IngestCursor.db_name)
            stamp = literal(utcnow(), IngestCursor.__table__.c.updated_at.type)
            missing = sa_select(literal(USERDB_PREFIX) + Account.id, literal("0"), literal(1), literal(0), stamp).where(
                (literal(USERDB_PREFIX) + Account.id).not_in(known))
            marked = 0
            try:
                added = await session.exec(insert(IngestCursor).from_select(  # type: ignore[call-overload]
                    ["db_name", "since", "marks", "seen_marks", "updated_at"], missing))
                await session.commit()
                marked += max(added.rowcount, 0)
            except IntegrityError:  # the gateway created one meanwhile; the next sweep adds the rest
                await session.rollback()
            bumped = await session.exec(update(IngestCursor).where(  # type: ignore[call-overload]
                col(IngestCursor.db_name).startswith(USERDB_PREFIX), IngestCursor.marks == IngestCursor.seen_marks)
                .values(marks=IngestCursor.marks + 1).execution_options(synchronize_session=False))
            await session.commit()
            return marked + bumped.rowcount
