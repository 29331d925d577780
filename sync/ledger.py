"""The two questions the gateway asks SQL on a device's write: which of these drafts are locked,
and (after the write) "this database changed" for the ingest worker."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from sync.models import UNLOCKED_STATES, Application, IngestCursor


async def locked_drafts(session: AsyncSession, account_id: str, draft_ids: list[str]) -> dict[str, str]:
    """{draft id: submission id the server holds} for the drafts the person may no longer edit."""
    if not draft_ids:
        return {}
    rows = await session.exec(
        select(Application.draft_id, Application.submission_id, Application.state)
        .where(Application.account_id == account_id, Application.draft_id.in_(draft_ids))  # type: ignore[attr-defined]
    )
    return {draft_id: submission for draft_id, submission, state in rows if state not in UNLOCKED_STATES}


async def mark_changed(session: AsyncSession, db_name: str) -> None:
    """Tell the ingest worker `db_name` has new writes (safe with several gateways at once)."""
    bump = update(IngestCursor).where(IngestCursor.db_name == db_name).values(marks=IngestCursor.marks + 1, updated_at=utcnow())
    if (await session.exec(bump)).rowcount:  # type: ignore[call-overload]
        await session.commit()
        return
    session.add(IngestCursor(db_name=db_name, marks=1))
    try:
        await session.commit()
    except IntegrityError:  # another gateway created it in between
        await session.rollback()
        await session.exec(bump)  # type: ignore[call-overload]
        await session.commit()


async def changed_databases(session: AsyncSession, limit: int = 100) -> list[IngestCursor]:
    """Databases with writes the worker has not read yet, oldest mark first."""
    rows = await session.exec(
        select(IngestCursor).where(IngestCursor.marks > IngestCursor.seen_marks).order_by(IngestCursor.updated_at).limit(limit)
    )
    return list(rows)
