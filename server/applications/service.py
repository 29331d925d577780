"""The agency's and the person's actions on an application, as the routes call them.

Who may act is settled here, not in handlers: an operator acts as the agency of their grant in
the application's region (`operator`), only on the step that agency owns (the workflow checks
it); a person withdraws only their own application. Each call is one transaction: the change,
its event, its outbox row and its audit entry commit together (`transitions.act`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import Identity
from server.accounts.guards import RoleRequired
from server.applications import transitions, workflow
from server.applications.transitions import Acting
from server.catalog.models import Agency, Region
from server.catalog.regiondays import region_offset
from sync.ingest import Rules
from sync.models import Application, Submission
from sync.tracking import ApplicationNotFound

ROLE_LABELS = {
    "agency_operator": "Operator instansi",
    "region_admin": "Admin MPP daerah",
    "field_officer": "Petugas lapangan",
    "national_monitor": "Pemantau nasional",
    "system": "Sistem (otomatis)",
    "citizen": "Pemohon",
}


@dataclass(frozen=True)
class ApplicationSummary:
    application: Application
    submissions: int  # accepted submissions: 1, plus one per resend after a revision


async def operator(session: AsyncSession, who: Identity, region_code: str) -> Acting:
    """The operator acting in `region_code`, as the agency of their grant there."""
    for grant in who.grants:
        if grant.role != "agency_operator" or grant.region_code not in (None, region_code) or grant.agency_id is None:
            continue
        agency = await session.get(Agency, grant.agency_id)
        if agency is not None and agency.region_code == region_code:
            return Acting("operator", who.account_id, "agency_operator", agency.kind, agency.name, who.display_name)
    raise RoleRequired(policy="agency_operator")


async def find(session: AsyncSession, region_code: str, tracking_number: str, for_update: bool = False) -> Application:
    stmt = select(Application).where(Application.tracking_number == tracking_number, Application.region_code == region_code)
    if for_update and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    found = (await session.exec(stmt)).first()
    if found is None:
        raise ApplicationNotFound(tracking_number=tracking_number)
    return found


class ApplicationService:
    def __init__(self, session: AsyncSession, rules: Rules):
        self.session = session
        self.rules = rules

    async def summary(self, region_code: str, tracking_number: str) -> ApplicationSummary:
        app = await find(self.session, region_code, tracking_number)
        count = (await self.session.exec(select(func.count()).select_from(Submission).where(
            Submission.application_id == app.id, Submission.outcome == "accepted"))).one()
        return ApplicationSummary(app, count)

    async def act(self, region_code: str, tracking_number: str, action: str, who: Identity, *, note: str = "",
                  notes: dict[str, Any] | None = None, legal_basis: str = "") -> workflow.Outcome:
        """An operator's action (start_review, request_revision, pass_on, approve, reject); the
        workflow refuses any other (the person's and the system's actions are not an operator's)."""
        acting = await operator(self.session, who, region_code)
        app = await find(self.session, region_code, tracking_number, for_update=True)
        outcome = await transitions.act(self.session, app, action, acting, self.rules, note=note, notes=notes,
                                        legal_basis=legal_basis, purpose="Pemrosesan permohonan")
        await self.session.commit()
        return outcome

    async def withdraw(self, who: Identity, tracking_number: str, note: str = "") -> workflow.Outcome:
        """The person withdraws their own application before a decision."""
        stmt = select(Application).where(Application.tracking_number == tracking_number, Application.account_id == who.account_id,
                                         Application.applicant_kind == "self")
        if self.session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        app = (await self.session.exec(stmt)).first()
        if app is None:
            raise ApplicationNotFound(tracking_number=tracking_number)
        acting = Acting("citizen", who.account_id, "citizen", display_name=who.display_name)
        outcome = await transitions.act(self.session, app, "withdraw", acting, self.rules, note=note, purpose="Dibatalkan pemohon")
        await self.session.commit()
        return outcome


async def region_now(session: AsyncSession, region_code: str, now: datetime) -> datetime:
    region = await session.get(Region, region_code)
    return now.astimezone(region_offset(region.province_code if region else "21"))
