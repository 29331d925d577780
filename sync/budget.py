"""How many documents a person's database may hold, and which writes would go past it.

A cheap phone keeps every draft and status doc of its person, so each database has a budget by
role: a citizen files a few applications a year, a field officer collects for a whole village.
The gateway refuses only writes that would *create* documents beyond the budget; edits and
deletes of existing documents always pass, so a person can always finish and send what they
already have (and deleting a draft frees its place).

The count is CouchDB's `doc_count` (live documents, status docs included). `doc_del_count` is
left out on purpose: a deleted draft is a small tombstone, and counting it would mean a person
who deletes drafts to make room never gets any. Applications the device has let go of
(`purge`, see sync/publisher.py) no longer count: their draft and status doc stay in the
database for the record, but the person's room is what is still in use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from sync.drafts import DocRefusal
from sync.models import FINAL_STATES, Application
from sync.userdb import Screened

CITIZEN_DOCS = 200
FIELD_OFFICER_DOCS = 5_000
WARN_AT = 0.8  # the device warns from 80 % of its budget


def doc_budget(*, field_officer: bool) -> int:
    """The most documents this person's database may hold."""
    return FIELD_OFFICER_DOCS if field_officer else CITIZEN_DOCS


def creating(docs: Iterable[dict]) -> list[str]:
    """Ids of docs in a write that may create a document (not deletes); the database decides which really do."""
    return [d["_id"] for d in docs if d.get("_deleted") is not True]


async def purged_docs(session: AsyncSession, account_id: str, purge_before: datetime) -> int:
    """Docs of this person's database whose application is past the purge line: its draft and its status doc."""
    stmt = select(func.count()).select_from(Application).where(
        col(Application.account_id) == account_id, col(Application.state).in_(FINAL_STATES),
        col(Application.updated_at) <= purge_before)
    return 2 * (await session.exec(stmt)).one()


def budget_refusal(doc_id: str, budget: int) -> DocRefusal:
    return DocRefusal("sync.budget_full", doc_id, str(budget))


def over_budget(screened: Screened, new_ids: set[str], doc_count: int, budget: int) -> Screened:
    """`screened` with the new docs that do not fit moved to its refusals (first come, first kept)."""
    room = max(budget - doc_count, 0)
    kept = Screened(total=screened.total, refused=list(screened.refused))
    for (position, doc), encoded in zip(screened.accepted, screened.encoded, strict=True):
        if doc["_id"] in new_ids and doc.get("_deleted") is not True:
            if room <= 0:
                kept.refused.append((position, budget_refusal(doc["_id"], budget)))
                continue
            room -= 1
        kept.accepted.append((position, doc))
        kept.encoded.append(encoded)
    return kept
