"""`/api/wilayah/{code}/permohonan/...`: the agency operator's first tools — read an application,
change its state with a note. A stand-in until the back-office queue exists; the rules are in
`server.applications.service`, the guard checks the operator's grant is for region `code`.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.guards import current_identity
from server.applications.service import ApplicationService, ApplicationSummary
from server.applications.validation import CatalogRules

OPERATOR = {"guard": "agency_operator"}


async def provide_applications(db_session: NamedDependency[AsyncSession]) -> ApplicationService:
    return ApplicationService(db_session, CatalogRules())


@dataclass
class DecisionIn:
    state: str  # in_process | needs_revision | approved | rejected
    note: str = ""


@dataclass
class ApplicationOut:
    tracking_number: str
    state: str
    region_code: str
    service_id: str
    service_version: int
    submissions: int
    due_date: str | None
    received_at: str


def application_out(s: ApplicationSummary) -> ApplicationOut:
    a = s.application
    return ApplicationOut(tracking_number=a.tracking_number, state=a.state, region_code=a.region_code, service_id=a.service_id,
                          service_version=a.service_version, submissions=s.submissions,
                          due_date=a.due_date.isoformat() if a.due_date else None, received_at=a.created_at.isoformat())


class ApplicationStub(Controller):
    path = "/api/wilayah/{code:str}/permohonan"
    tags = ["applications"]
    opt = OPERATOR
    dependencies = {"applications": Provide(provide_applications)}

    @get("/{tracking_number:str}")
    async def get_application(self, code: FromPath[str], tracking_number: FromPath[str],
                              applications: NamedDependency[ApplicationService]) -> ApplicationOut:
        """Agency operator of the region: one application by its tracking number."""
        return application_out(await applications.summary(code, tracking_number))

    @post("/{tracking_number:str}/status", status_code=200)
    async def set_status(self, request: Request, code: FromPath[str], tracking_number: FromPath[str], data: JSONBody[DecisionIn],
                         applications: NamedDependency[ApplicationService]) -> ApplicationOut:
        """Agency operator of the region: move the application on, with a note the applicant sees."""
        who = await current_identity(request)
        return application_out(await applications.decide(code, tracking_number, data.state, data.note[:500], by=who.account_id))
