"""Received means complete: an application whose photos or documents have not all arrived waits.

A draft's photo and document answers are references `{"sha256", "size", "mime", "field"}` to
blobs the device uploads through `/blobs/`, and so are an assisted draft's optional KTP and
consent photos (`applicant.identity_check.photo`, `applicant.consent.signature`, kept on
`Application.applicant`). An application whose references are not all blobs
owned by its account (`BlobOwner`) is numbered but held in "waiting_for_files": no step is
open and no due date is set (the SLA clock is paused, see `sync.tracking.sla_pauses`). When the
last of its files arrives it moves to "received" with its due date, an event and an outbox row,
in one transaction. Another person's sha256 never counts: ownership is per account.

`settle_waiting` runs right after an upload completes, and the worker runs `settle_all` every
round, so an application is not left waiting when the upload request died after its commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from sync.blobstore import SHA256_HEX
from sync.drafts import userdb_name
from sync.models import Application, ApplicationEvent, BlobOwner, WorkflowStep
from sync.tracking import record

if TYPE_CHECKING:
    from sync.ingest import Rules

log = logging.getLogger("mpp.files")

WAITING = "waiting_for_files"
WAITING_NOTE = "Permohonan tercatat. Menunggu foto/berkas dari perangkat pemohon."
ARRIVED_NOTE = "Semua foto/berkas sudah diterima."


def _sha256(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("sha256"), str) and SHA256_HEX.match(value["sha256"]):
        return value["sha256"]
    return None


def referenced_blobs(values: Mapping[str, Any], applicant: Mapping[str, Any] | None = None) -> set[str]:
    """The sha256 of every photo or document an application's answers name, and of the KTP and
    consent photos of an assisted application's `applicant` (as `Application.applicant` keeps it)."""
    found = {sha for sha in map(_sha256, values.values()) if sha}
    if applicant:
        check, consent = applicant.get("identity_check"), applicant.get("consent")
        for ref in (check.get("photo") if isinstance(check, dict) else None,
                    consent.get("signature") if isinstance(consent, dict) else None):
            if sha := _sha256(ref):
                found.add(sha)
    return found


def application_blobs(app: Application) -> set[str]:
    """The sha256 of every file `app` waits for: its answers' and its applicant's photos."""
    return referenced_blobs(app.values, app.applicant if app.applicant_kind == "assisted" else None)


async def owned_blobs(session: AsyncSession, account_id: str, wanted: Iterable[str]) -> set[str]:
    wanted = set(wanted)
    if not wanted:
        return set()
    rows = await session.exec(select(BlobOwner.sha256).where(BlobOwner.account_id == account_id, col(BlobOwner.sha256).in_(wanted)))
    return set(rows)


async def hold_until_files_arrive(session: AsyncSession, account_id: str, apps: Sequence[Application]) -> int:
    """Move just-written applications that name missing files to "waiting_for_files"; returns how many.

    Called by ingest in its transaction after it wrote them as "received": the latest event of
    each becomes the waiting one, its due date is cleared and an untouched first step is closed
    again, so nothing reaches an officer before the files do.
    """
    wanted = {app.id: application_blobs(app) for app in apps}
    owned = await owned_blobs(session, account_id, set().union(*wanted.values()) if wanted else ())
    held = [app for app in apps if wanted[app.id] - owned]
    if not held:
        return 0
    await session.flush()
    ids = [app.id for app in held]
    await session.exec(update(Application).where(col(Application.id).in_(ids))  # type: ignore[call-overload]
                       .values(state=WAITING, due_date=None).execution_options(synchronize_session=False))
    latest = (select(ApplicationEvent.application_id, func.max(ApplicationEvent.id).label("id"))
              .where(col(ApplicationEvent.application_id).in_(ids)).group_by(ApplicationEvent.application_id))
    event_ids = [row.id for row in await session.exec(latest)]
    await session.exec(update(ApplicationEvent).where(col(ApplicationEvent.id).in_(event_ids))  # type: ignore[call-overload]
                       .values(state=WAITING, note=WAITING_NOTE).execution_options(synchronize_session=False))
    await session.exec(update(WorkflowStep).where(  # type: ignore[call-overload]
        col(WorkflowStep.application_id).in_(ids), WorkflowStep.position == 0, WorkflowStep.state == "open",
        WorkflowStep.closed_at.is_(None)).values(state="waiting", opened_at=None).execution_options(synchronize_session=False))
    for app in held:
        app.state, app.due_date = WAITING, None
    return len(held)


async def settle_waiting(session: AsyncSession, account_id: str, rules: Rules) -> int:
    """Every waiting application of `account_id` whose files are all owned now becomes "received".

    Runs in its own transaction on `session`; returns how many moved.
    """
    async with session.begin():
        stmt = select(Application).where(Application.account_id == account_id, Application.state == WAITING)
        if session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)  # another settle has them: it finishes the job
        apps = list(await session.exec(stmt))
        if not apps:
            return 0
        owned = await owned_blobs(session, account_id, set().union(*(application_blobs(a) for a in apps)))
        moved = 0
        now = utcnow()
        for app in apps:
            if application_blobs(app) - owned:
                continue
            result = await session.exec(update(Application).where(  # type: ignore[call-overload]
                Application.id == app.id, Application.state == WAITING).values(state="received", updated_at=now)
                .execution_options(synchronize_session=False))
            if result.rowcount != 1:
                continue
            events = list(await session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                                             .order_by(col(ApplicationEvent.at), col(ApplicationEvent.id))))
            app.state, app.updated_at = "received", now
            event = record(session, app, userdb_name(app.account_id), "received", ARRIVED_NOTE, "system", at=now)
            app.due_date = await rules.due_date(session, app, [*events, event])
            await session.exec(update(Application).where(Application.id == app.id)  # type: ignore[call-overload]
                               .values(due_date=app.due_date).execution_options(synchronize_session=False))
            await session.exec(update(WorkflowStep).where(  # type: ignore[call-overload]
                WorkflowStep.application_id == app.id, WorkflowStep.position == 0, WorkflowStep.state == "waiting",
                WorkflowStep.opened_at.is_(None), WorkflowStep.closed_at.is_(None)).values(state="open", opened_at=now)
                .execution_options(synchronize_session=False))
            moved += 1
        return moved


async def settle_all(engine: AsyncEngine, rules: Rules, limit: int = 100) -> int:
    """`settle_waiting` for every account with a waiting application (up to `limit` accounts)."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        accounts = list(await session.exec(select(Application.account_id).where(Application.state == WAITING).distinct().limit(limit)))
    moved = 0
    for account_id in accounts:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            moved += await settle_waiting(session, account_id, rules)
    return moved
