"""The worker's back-office jobs: issue the output of approved applications, and approve
automatically the applications of services issued on their own when the SLA lapses (SIP).

Approval and issuance are two steps on purpose: an operator's approval commits at once, and
the signed PDF (made and signed here, possibly by the national signing service) follows within
a worker round; a signing service that is down leaves the application "approved" and it is
tried again later (`RETRY_SECONDS`), never lost. Automatic issuance is recorded in the audit
log as done by the system under the rule (`sla.AUTO_ISSUE_RULE`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account, utcnow
from server.applications import transitions, workflow
from server.applications.service import region_now
from server.applications.sla import AUTO_ISSUE_RULE, lapsed
from server.outputs.issue import issue_output
from server.outputs.signing import Signer
from server.outputs.tokens import make_token, token_secret
from sync.ingest import Rules
from sync.models import Application, ApplicationEvent
from sync.tracking import TransitionRefused

log = logging.getLogger("mpp.issuance")

BATCH = 50
RETRY_SECONDS = 60.0


def verify_url(settings: Any, token_id: str) -> str:
    """The public address an output's QR code points to."""
    return f"{settings.web.public_origin}/verifikasi/{make_token(token_secret(settings), token_id)}"


async def holder_name(session: AsyncSession, app: Application) -> str:
    """The name printed on the output: the account's for the person's own application, the
    name the officer checked against the KTP for an assisted one."""
    if app.applicant_kind == "assisted":
        return str((app.applicant or {}).get("name") or "")
    account = await session.get(Account, app.account_id)
    return account.display_name if account else ""


class Issuer:
    def __init__(self, engine: AsyncEngine, rules: Rules, *, signer: Signer, blobs: Any, secret: bytes, origin: str,
                 clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.rules = rules
        self.signer = signer
        self.blobs = blobs
        self.secret = secret
        self.origin = origin
        self.clock = clock
        self._not_before: dict[int, float] = {}  # application id -> monotonic time of the next try

    async def run_once(self) -> int:
        """One round of both jobs; returns how many applications moved."""
        return await self.auto_issue() + await self.issue_approved()

    async def auto_issue(self) -> int:
        """Approve, as the system, the open applications of auto-issuing services whose SLA lapsed."""
        now = self.clock()
        horizon = (now + timedelta(days=1)).date()  # a due date that may have ended in some time zone
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            candidates = list(await session.exec(select(Application.id).where(
                Application.auto_issue == True, col(Application.state).in_(workflow.OPEN_STATES),  # noqa: E712
                col(Application.due_date).is_not(None), col(Application.due_date) <= horizon).limit(BATCH)))
        moved = 0
        for app_id in candidates:
            async with AsyncSession(self.engine, expire_on_commit=False) as session:
                app = await session.get(Application, app_id)
                if app is None or app.state not in workflow.OPEN_STATES:
                    continue
                if not lapsed(app.due_date, await region_now(session, app.region_code, now)):
                    continue
                try:
                    await transitions.act(session, app, "auto_issue", transitions.SYSTEM, self.rules, sla_lapsed=True,
                                          rule=AUTO_ISSUE_RULE, note="Terbit otomatis: batas waktu layanan terlampaui tanpa keputusan.",
                                          purpose="Penerbitan otomatis sesuai ketentuan batas waktu layanan", now=now)
                    await session.commit()
                    moved += 1
                except (workflow.WorkflowError, TransitionRefused):
                    await session.rollback()  # decided or changed meanwhile
        if moved:
            log.info("auto-issue: %d applications approved by the system after their SLA lapsed", moved)
        return moved

    async def issue_approved(self) -> int:
        """Make, sign and store the output of approved applications, then complete them."""
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            ids = list(await session.exec(select(Application.id).where(Application.state == "approved")
                                          .order_by(col(Application.updated_at)).limit(BATCH)))
        done = 0
        for app_id in ids:
            if self._not_before.get(app_id, 0.0) > time.monotonic():
                continue
            async with AsyncSession(self.engine, expire_on_commit=False) as session:
                app = await session.get(Application, app_id)
                if app is None or app.state != "approved":
                    continue
                try:
                    rule = AUTO_ISSUE_RULE if await self._auto_approved(session, app) else ""
                    await issue_output(session, app, signer=self.signer, blobs=self.blobs, secret=self.secret, origin=self.origin,
                                       holder_name=await holder_name(session, app), rule=rule)
                    await transitions.act(session, app, "complete", transitions.SYSTEM, self.rules,
                                          note="Dokumen hasil diterbitkan.", purpose="Penerbitan dokumen hasil layanan")
                    await session.commit()
                    done += 1
                    self._not_before.pop(app_id, None)
                except (workflow.WorkflowError, TransitionRefused):
                    await session.rollback()
                except Exception as exc:  # noqa: BLE001 — signing or storage failed: keep it approved, try later
                    await session.rollback()
                    self._not_before[app_id] = time.monotonic() + RETRY_SECONDS
                    log.warning("issuance failed (%s); the application stays approved and is tried again in %.0f s",
                                type(exc).__name__, RETRY_SECONDS)
        return done

    async def _auto_approved(self, session: AsyncSession, app: Application) -> bool:
        last = (await session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id,
                                                                  ApplicationEvent.state == "approved")
                                   .order_by(col(ApplicationEvent.id).desc()))).first()
        return bool(last and last.action == "auto_issue")
