"""Push messages for new status changes, read from the outbox.

Every change to an application writes an outbox row in its own transaction. The publisher reads
it to write the status doc (`done_at`); `enqueue_from_outbox` reads the same row to make the push
messages (`pushed_at`), in one transaction with marking it — so every change yields its messages
exactly once, without waiting for the person's database to be written (a phone that opens the
app from the notification syncs and gets the status doc then)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Device, utcnow
from server.push.messages import NOTIFIED_STATES, TTL_SECONDS
from server.push.models import PushCursor, PushMessage, PushSubscription
from sync.ingest import account_of
from sync.models import Application, ApplicationEvent, Outbox

BATCH_SIZE = 500


async def enqueue_from_outbox(engine: AsyncEngine, batch_size: int = BATCH_SIZE) -> tuple[int, int]:
    """Read one batch of outbox rows not seen yet; (rows read, messages made).

    Two workers reading the same rows at once: the second one's messages collide with the first
    one's (unique per subscription and event) and its transaction is rolled back — nothing twice."""
    now = utcnow()
    stmt = select(Outbox).where(col(Outbox.pushed_at).is_(None)).order_by(col(Outbox.id)).limit(batch_size)
    if engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            rows = list(await session.exec(stmt))
            if not rows:
                return 0, 0
            made = await enqueue(session, [(r.db_name, r.draft_id) for r in rows], now)
            await session.exec(update(Outbox).where(col(Outbox.id).in_([r.id for r in rows])).values(pushed_at=now)  # type: ignore[call-overload]
                               .execution_options(synchronize_session=False))
    except IntegrityError:
        return 0, 0  # another worker made these messages a moment ago
    return len(rows), made


def is_persons_database(application: Application, account_id: str) -> bool:
    """The database of the person the application is about (not the field officer who filed it)."""
    if application.applicant_kind == "assisted":
        return account_id != application.account_id
    return account_id == application.account_id


async def enqueue(session: AsyncSession, published: Sequence[tuple[str, str]], now: datetime) -> int:
    """Messages for the changes the person was not told about yet, for the (database, draft)
    pairs of outbox rows; returns how many were made.

    Only the newest change of an application since the last call is sent (a notification per
    application replaces the one before it; the inbox lists them all). Changes older than the
    subscription, or older than a message may live, are not sent."""
    targets: dict[str, str] = {}  # draft id -> account id of the person
    for db_name, draft_id in published:
        account_id = account_of(db_name)
        if account_id:
            targets.setdefault(draft_id, account_id)
    if not targets:
        return 0
    apps = [a for a in await session.exec(select(Application).where(col(Application.draft_id).in_(list(targets))))
            if is_persons_database(a, targets[a.draft_id])]
    if not apps:
        return 0
    subscriptions: dict[str, list[PushSubscription]] = defaultdict(list)
    for sub in await session.exec(select(PushSubscription).join(Device, col(Device.id) == col(PushSubscription.device_id))
                                  .where(col(PushSubscription.account_id).in_({targets[a.draft_id] for a in apps}),
                                         col(Device.revoked_at).is_(None))):
        subscriptions[sub.account_id].append(sub)
    ids = [a.id for a in apps]
    cursors = {c.application_id: c for c in await session.exec(select(PushCursor).where(col(PushCursor.application_id).in_(ids)))}
    events: dict[int, list[ApplicationEvent]] = defaultdict(list)
    for e in await session.exec(select(ApplicationEvent).where(col(ApplicationEvent.application_id).in_(ids))
                                .order_by(col(ApplicationEvent.id))):
        cursor = cursors.get(e.application_id)
        if cursor is None or e.id > cursor.event_id:
            events[e.application_id].append(e)
    made = 0
    oldest = now - timedelta(seconds=TTL_SECONDS)
    for app in apps:
        new = events.get(app.id)
        if not new:
            continue
        cursor = cursors.get(app.id) or PushCursor(application_id=app.id, event_id=0)
        cursor.event_id = new[-1].id
        session.add(cursor)
        latest = new[-1]
        if latest.state not in NOTIFIED_STATES or latest.at < oldest:
            continue
        account_id = targets[app.draft_id]
        for sub in subscriptions.get(account_id, ()):
            if latest.at < sub.created_at:
                continue
            session.add(PushMessage(subscription_id=sub.id, account_id=account_id, application_id=app.id, event_id=latest.id,
                                    state=latest.state, changed_at=latest.at, created_at=now, next_attempt_at=now))
            made += 1
    return made

