"""The agency's side of an application, as far as it goes for now: look one up, change its state.

A change writes the event and the outbox row in the same transaction (`sync.tracking`), and
moves the SLA due date: it stops while a revision is awaited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.applications.validation import CatalogRules
from sync.drafts import userdb_name
from sync.models import Application, ApplicationEvent, Submission
from sync.tracking import ApplicationNotFound, change_state


@dataclass(frozen=True)
class ApplicationSummary:
    application: Application
    submissions: int  # accepted submissions: 1, plus one per resend after a revision


class ApplicationService:
    def __init__(self, session: AsyncSession, rules: CatalogRules):
        self.session = session
        self.rules = rules

    async def _find(self, region_code: str, tracking_number: str, for_update: bool = False) -> Application:
        stmt = select(Application).where(Application.tracking_number == tracking_number, Application.region_code == region_code)
        if for_update and self.session.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        found = (await self.session.exec(stmt)).first()
        if found is None:
            raise ApplicationNotFound(tracking_number=tracking_number)
        return found

    async def summary(self, region_code: str, tracking_number: str) -> ApplicationSummary:
        app = await self._find(region_code, tracking_number)
        count = (await self.session.exec(select(func.count()).select_from(Submission).where(
            Submission.application_id == app.id, Submission.outcome == "accepted"))).one()
        return ApplicationSummary(app, count)

    async def decide(self, region_code: str, tracking_number: str, state: str, note: str, by: str) -> ApplicationSummary:
        """Move the application to `state` with the officer's note; refused if the move is not allowed."""
        app = await self._find(region_code, tracking_number, for_update=True)
        await change_state(self.session, app, state, note.strip(), by, userdb_name(app.account_id))
        events = list(await self.session.exec(select(ApplicationEvent).where(ApplicationEvent.application_id == app.id)
                                              .order_by(col(ApplicationEvent.at), col(ApplicationEvent.id))))
        app.due_date = await self.rules.due_date(self.session, app, events)
        await self.session.exec(update(Application).where(Application.id == app.id).values(due_date=app.due_date)  # type: ignore[call-overload]
                                .execution_options(synchronize_session=False))
        await self.session.commit()
        return await self.summary(region_code, tracking_number)
