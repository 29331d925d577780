"""An application after the server holds it: its tracking number, the states it may move
between, and the pauses of its service-level clock.

The tracking number (*nomor permohonan*) is what a person quotes at the counter:
`MPP-<region code without the dot>-<year>-<6-digit sequence>`, e.g. `MPP-2171-2026-000123`,
counted per region and year in `TrackingSequence` inside the transaction that creates the
application, so a rolled-back ingest leaves no gap and two workers never share a number.

Every change of state writes an `ApplicationEvent` (the history the person sees) and an
`Outbox` row (the publisher turns it into the `status:` doc) in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from sync.models import Application, ApplicationEvent, Outbox, TrackingSequence

Pause = tuple[date, date | None]


class ApplicationError(Exception):
    """Base for application rule violations; `details` are safe to show (no personal data)."""

    def __init__(self, detail: str = "", **details: object) -> None:
        super().__init__(detail or type(self).__name__)
        self.details = details


class ApplicationNotFound(ApplicationError):
    """No application with this tracking number in this region."""


class TransitionRefused(ApplicationError):
    """The application cannot move from its current state to the one asked for."""


def tracking_number(region_code: str, year: int, n: int) -> str:
    return f"MPP-{region_code.replace('.', '')}-{year}-{n:06d}"


async def allocate_numbers(session: AsyncSession, region_code: str, year: int, count: int) -> list[str]:
    """`count` consecutive tracking numbers, taken in the caller's transaction.

    One upsert per call: the row lock (PostgreSQL) or the write lock (SQLite) it takes is held
    until the caller commits, so numbers are consecutive and never given twice.
    """
    if count <= 0:
        return []
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    table = TrackingSequence.__table__
    stmt = (
        insert(table).values(region_code=region_code, year=year, last=count)
        .on_conflict_do_update(index_elements=["region_code", "year"], set_={"last": table.c.last + count})
        .returning(table.c.last)
    )
    last = (await session.exec(stmt)).scalar_one()  # type: ignore[call-overload]
    return [tracking_number(region_code, year, n) for n in range(last - count + 1, last + 1)]


def sla_pauses(events: Iterable[tuple[date, str]]) -> list[Pause]:
    """The SLA clock's pauses from an application's history of (local date, state), oldest first.

    A pause opens when the agency asks for a revision (or while photos are awaited, see sync.files)
    and closes when it is received again (or the correction is resubmitted) (server.catalog.workdays counts around them).
    """
    pauses: list[Pause] = []
    opened: date | None = None
    for day, state in events:
        if state in ("needs_revision", "waiting_for_files") and opened is None:
            opened = day
        elif state in ("received", "resubmitted") and opened is not None:
            pauses.append((opened, day))
            opened = None
    if opened is not None:
        pauses.append((opened, None))
    return pauses


def record(session: AsyncSession, application: Application, db_name: str, state: str, note: str, by: str,
           at: datetime | None = None, **extra: Any) -> ApplicationEvent:
    """The event and the outbox row of a change; the caller has set the application's new state.
    `extra`: the workflow's action, actor_role, actor_agency, step_position and details."""
    event = ApplicationEvent(application_id=application.id, state=state, note=note[:500], by=by, at=at or utcnow(), **extra)
    session.add(event)
    session.add(Outbox(db_name=db_name, draft_id=application.draft_id))
    return event
