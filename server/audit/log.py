"""Accountability: an append-only log of every staff action and every view of a person's
application, hash-chained so that a changed, inserted or deleted row is found by `verify`.

Each row's `hash` is SHA-256 over its own content and the previous row's hash. Appending first
updates the one `AuditHead` row (a row lock on PostgreSQL, the write lock on SQLite), so two
appends never chain onto the same predecessor; the head keeps the last hash so deleting the
newest rows is noticed too. `python -m server audit-verify` runs `verify`.

The person concerned sees the log as "Siapa yang mengakses data saya": agency, role, time and
purpose — never the staff member's name (`for_person`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from server.audit.models import AuditEntry, AuditHead

GENESIS = "0" * 64
BATCH = 1000


def _stamp(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(entry: AuditEntry, prev_hash: str) -> str:
    """SHA-256 of the row's content (everything but `id` and `hash`) and the previous hash."""
    content = {
        "at": _stamp(entry.at), "actor_id": entry.actor_id, "actor_role": entry.actor_role,
        "actor_agency": entry.actor_agency, "actor_agency_name": entry.actor_agency_name, "region_code": entry.region_code,
        "action": entry.action, "application_id": entry.application_id, "subject_account_id": entry.subject_account_id,
        "subject_nik_hash": entry.subject_nik_hash, "purpose": entry.purpose, "details": entry.details, "prev_hash": prev_hash,
    }
    raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who acts, as the log records them."""

    account_id: str
    role: str
    agency: str = ""
    agency_name: str = ""


SYSTEM_ACTOR = Actor("system", "system")


async def append(session: AsyncSession, actor: Actor, action: str, *, region_code: str = "", application_id: int | None = None,
                 subject_account_id: str | None = None, subject_nik_hash: str | None = None, purpose: str = "",
                 details: dict[str, Any] | None = None, at: datetime | None = None) -> AuditEntry:
    """Add one entry in the caller's transaction (it commits with the action it records)."""
    head_table = AuditHead.__table__
    bumped = await session.exec(update(head_table).where(head_table.c.id == 1)  # type: ignore[call-overload]
                                .values(count=head_table.c.count + 1).returning(head_table.c.last_id, head_table.c.last_hash))
    row = bumped.first()
    if row is None:
        session.add(AuditHead(id=1, count=1))
        await session.flush()
        prev_hash = GENESIS
    else:
        prev_hash = row[1]
    entry = AuditEntry(at=at or utcnow(), actor_id=actor.account_id, actor_role=actor.role, actor_agency=actor.agency,
                       actor_agency_name=actor.agency_name, region_code=region_code, action=action, application_id=application_id,
                       subject_account_id=subject_account_id, subject_nik_hash=subject_nik_hash, purpose=purpose[:300],
                       details=details or {}, prev_hash=prev_hash, hash="")
    entry.hash = entry_hash(entry, prev_hash)
    session.add(entry)
    await session.flush()
    await session.exec(update(head_table).where(head_table.c.id == 1)  # type: ignore[call-overload]
                       .values(last_id=entry.id, last_hash=entry.hash))
    return entry


@dataclass
class VerifyReport:
    checked: int = 0
    broken_at: int | None = None  # id of the first row that does not fit the chain
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def verify(session: AsyncSession) -> VerifyReport:
    """Walk the chain from the first row; stop at the first row that was changed, inserted or
    follows a deleted one, or at a head that does not match the last row."""
    report = VerifyReport()
    prev_hash, last_id = GENESIS, 0
    while True:
        rows = list(await session.exec(select(AuditEntry).where(AuditEntry.id > last_id).order_by(col(AuditEntry.id)).limit(BATCH)))
        for entry in rows:
            if entry.prev_hash != prev_hash:
                report.broken_at, report.reason = entry.id, "prev_hash"  # a row before it was deleted or changed
                return report
            if entry_hash(entry, prev_hash) != entry.hash:
                report.broken_at, report.reason = entry.id, "hash"  # this row was changed
                return report
            prev_hash, last_id = entry.hash, entry.id
            report.checked += 1
        if len(rows) < BATCH:
            break
    head = await session.get(AuditHead, 1)
    if head is not None and (head.last_hash != prev_hash or head.count != report.checked):
        report.broken_at, report.reason = head.last_id or last_id, "head"  # newest rows deleted, or the count changed
    return report


async def for_person(session: AsyncSession, account_id: str, nik_hash: str | None, limit: int = 200) -> Sequence[AuditEntry]:
    """Entries about the person's applications by others than the person, newest first."""
    conditions = [AuditEntry.subject_account_id == account_id]
    if nik_hash:
        conditions.append(AuditEntry.subject_nik_hash == nik_hash)
    stmt = (select(AuditEntry).where(or_(*conditions), AuditEntry.actor_id != account_id)
            .order_by(col(AuditEntry.id).desc()).limit(limit))
    return list(await session.exec(stmt))
