"""Sending push messages: encrypted (aes128gcm) and signed (VAPID) by pywebpush, with retries.

Each round first makes the messages of new outbox rows (`enqueue`), then claims due messages with
a short lease (a conditional UPDATE … RETURNING, so two workers never send the same message twice at once),
sends them concurrently, then records every result: 2xx delivered; 404/410 the push service forgot the subscription, so it is deleted; 429 and 5xx
(and an unreachable service) are tried again with exponential back-off, never sooner than the
service's Retry-After; anything else, or the last retry, is recorded as failed. Every attempt is
logged with its result, never with the payload or the endpoint's token."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from py_vapid import Vapid
from pywebpush import WebPushException, webpush_async
from sqlalchemy import delete, text, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from server.push.enqueue import enqueue_from_outbox
from server.push.messages import TTL_SECONDS, payload, urgency
from server.push.models import PushMessage, PushSubscription
from server.settings import PushSettings
from sync.models import Application

log = logging.getLogger("mpp.push")

LEASE_SECONDS = 120  # a worker that dies mid-send leaves its messages to be claimed again after this
MAX_RETRY_AFTER_SECONDS = 6 * 3600


@dataclass
class Sent:
    message_id: int
    status: int | None  # HTTP status from the push service; None when it could not be reached
    retry_after: float | None = None
    error: str = ""
    superseded: bool = False  # a newer change of the same application went to the same phone instead
    final: bool = False  # could not be sent at all (not the push service's answer): no retry


@dataclass
class DispatchReport:
    outbox_rows: int = 0  # outbox rows read
    made: int = 0  # messages made from them
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    gone: int = 0
    failed: int = 0
    superseded: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.outbox_rows or self.claimed)


class Dispatcher:
    def __init__(self, engine: AsyncEngine, settings: PushSettings, *, batch_size: int = 200, concurrency: int = 64,
                 poll_seconds: float = 0.1, timeout_seconds: float = 15.0, backoff_seconds: float | None = None, max_attempts: int = 8):
        self.engine = engine
        self.vapid = Vapid.from_string(private_key=settings.vapid_private_key)
        self.subject = settings.subject
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.backoff_seconds = settings.backoff_seconds if backoff_seconds is None else backoff_seconds
        self.max_attempts = max_attempts
        self.row_locks = engine.dialect.name == "postgresql"
        self._http: aiohttp.ClientSession | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; a failing round is logged and tried again."""
        try:
            while not stop.is_set():
                pause = self.poll_seconds
                try:
                    if (await self.run_once()).busy:
                        pause = 0.0
                except Exception as exc:  # noqa: BLE001 — a fault here must not stop the worker; the message may hold data
                    log.error("push round failed (%s); trying again in 5 s", type(exc).__name__)
                    pause = 5.0
                if pause:
                    try:
                        await asyncio.wait_for(stop.wait(), pause)
                    except TimeoutError:
                        pass
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def run_once(self) -> DispatchReport:
        """Make the messages of new changes, then claim, send and record one batch of due messages."""
        report = DispatchReport()
        report.outbox_rows, report.made = await enqueue_from_outbox(self.engine)
        claimed = await self._claim()
        report.claimed = len(claimed)
        if not claimed:
            return report
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            subs = {s.id: s for s in await session.exec(select(PushSubscription).where(
                col(PushSubscription.id).in_({m["subscription_id"] for m in claimed if m["subscription_id"]})))}
            numbers = dict((await session.exec(select(Application.id, Application.tracking_number).where(
                col(Application.id).in_({m["application_id"] for m in claimed})))).all())
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self.timeout)
        gate = asyncio.Semaphore(self.concurrency)

        # a phone shows one notification per application: of two changes claimed together only the
        # newer is sent (sent concurrently, the older could arrive last and replace it)
        newest: dict[tuple[int | None, int], dict[str, Any]] = {}
        for m in claimed:
            key = (m["subscription_id"], m["application_id"])
            if key not in newest or m["event_id"] > newest[key]["event_id"]:
                newest[key] = m
        chosen = {id(m) for m in newest.values()}

        async def one(message: dict[str, Any]) -> Sent:
            if id(message) not in chosen:
                return Sent(message["id"], None, superseded=True)
            sub = subs.get(message["subscription_id"])
            if sub is None:  # removed (signed out, turned off) after the message was made
                return Sent(message["id"], 410, error="subscription removed")
            async with gate:
                return await self._send(message, sub, numbers.get(message["application_id"]) or "")

        results = await asyncio.gather(*(one(m) for m in claimed))
        await self._record(claimed, results, subs, report)
        return report

    async def _claim(self) -> list[dict[str, Any]]:
        """Due messages, leased to this worker; an idle round only reads (no write lock on SQLite)."""
        now = utcnow()
        due = (select(PushMessage.id).where(PushMessage.outcome == "pending", col(PushMessage.next_attempt_at) <= now)
               .order_by(col(PushMessage.next_attempt_at), col(PushMessage.id)).limit(self.batch_size))
        if self.row_locks:
            due = due.with_for_update(skip_locked=True)
        async with AsyncSession(self.engine) as session, session.begin():
            ids = list((await session.exec(due)).all())
            if not ids:
                return []
            # the state is checked again: another worker may have leased some of them since the read
            stmt = (update(PushMessage)
                    .where(col(PushMessage.id).in_(ids), PushMessage.outcome == "pending", col(PushMessage.next_attempt_at) <= now)
                    .values(next_attempt_at=now + timedelta(seconds=LEASE_SECONDS), attempts=PushMessage.attempts + 1)
                    .returning(PushMessage.id, PushMessage.subscription_id, PushMessage.application_id, PushMessage.event_id,
                               PushMessage.state, PushMessage.attempts))
            rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
        return [dict(row._mapping) for row in rows]

    async def _send(self, message: dict[str, Any], sub: PushSubscription, tracking_number: str) -> Sent:
        info = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        claims = {"sub": self.subject, "exp": int(time.time()) + 12 * 3600}  # pywebpush adds aud = the endpoint's origin
        try:
            response = await webpush_async(info, payload(tracking_number, message["state"]).decode(), vapid_private_key=self.vapid,
                                           vapid_claims=claims, content_encoding="aes128gcm", ttl=TTL_SECONDS,
                                           headers={"Urgency": urgency(message["state"])}, timeout=self.timeout,
                                           aiohttp_session=self._http)
            return Sent(message["id"], response.status)
        except WebPushException as exc:
            status = exc.status_code
            if status is None:  # refused before sending (keys it cannot use): trying again would not help
                return Sent(message["id"], None, error="not sent", final=True)
            return Sent(message["id"], status, retry_after=_retry_after(exc.retry_after), error=f"HTTP {status}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return Sent(message["id"], None, error=type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 — e.g. keys the encryption refuses: this message fails, the batch goes on
            return Sent(message["id"], None, error=type(exc).__name__, final=True)

    async def _record(self, claimed: list[dict[str, Any]], results: list[Sent], subs: dict[int, PushSubscription],
                      report: DispatchReport) -> None:
        now = utcnow()
        by_id = {m["id"]: m for m in claimed}
        gone_subs: set[int] = set()
        delivered: list[dict[str, int]] = []
        async with AsyncSession(self.engine) as session, session.begin():
            for sent in results:
                message = by_id[sent.message_id]
                values: dict[str, Any] = {"last_status": sent.status, "last_error": sent.error[:200] or None}
                if sent.superseded:
                    await session.exec(update(PushMessage).where(col(PushMessage.id) == sent.message_id)  # type: ignore[call-overload]
                                       .values(outcome="superseded"))
                    report.superseded += 1
                    continue
                if sent.status is not None and 200 <= sent.status < 300:
                    values.update(outcome="delivered", sent_at=now)
                    report.delivered += 1
                    delivered.append({"s": message["subscription_id"], "a": message["application_id"], "e": message["event_id"]})
                elif sent.status in (404, 410):
                    values.update(outcome="gone")
                    report.gone += 1
                    if message["subscription_id"] in subs:
                        gone_subs.add(message["subscription_id"])
                elif (not sent.final and (sent.status is None or sent.status == 429 or sent.status >= 500)
                      and message["attempts"] < self.max_attempts):
                    wait = self.backoff_seconds * 2 ** (message["attempts"] - 1)
                    wait = max(wait, min(sent.retry_after or 0.0, MAX_RETRY_AFTER_SECONDS))
                    values.update(next_attempt_at=now + timedelta(seconds=wait))
                    report.retried += 1
                else:
                    values.update(outcome="failed")
                    report.failed += 1
                await session.exec(update(PushMessage).where(col(PushMessage.id) == sent.message_id).values(**values))  # type: ignore[call-overload]
                host = urlsplit(subs[message["subscription_id"]].endpoint).hostname if message["subscription_id"] in subs else "-"
                log.info("push message %d attempt %d to %s: %s -> %s", sent.message_id, message["attempts"], host,
                         sent.status if sent.status is not None else sent.error, values.get("outcome", "retry"))
            if delivered:  # an older change still waiting for a retry must not replace the newer one on the phone
                await session.exec(SUPERSEDE, params=delivered)  # type: ignore[call-overload]
            if gone_subs:
                await session.exec(update(PushMessage).where(col(PushMessage.subscription_id).in_(gone_subs),  # type: ignore[call-overload]
                                                             PushMessage.outcome == "pending").values(outcome="gone"))
                await session.exec(delete(PushSubscription).where(col(PushSubscription.id).in_(gone_subs)))  # type: ignore[call-overload]
                log.info("push: %d subscriptions the push service no longer knows were removed", len(gone_subs))


SUPERSEDE = text("UPDATE pushmessage SET outcome = 'superseded' WHERE outcome = 'pending' AND subscription_id = :s "
                 "AND application_id = :a AND event_id < :e")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when: datetime = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - utcnow()).total_seconds(), 0.0)
