"""JSON routes of the application workflow.

- `/api/wilayah/{code}/permohonan/{tracking}` (agency operator of the region): read one
  application, and `…/tindakan` to act on it — the same service the back-office pages use.
- `/api/permohonan/{tracking}/batal` (citizen): withdraw one's own application before a decision.
- `/api/saya/akses` (citizen): "Siapa yang mengakses data saya" — agency, role, time, purpose;
  never the staff member's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import Account
from server.accounts.guards import current_identity
from server.applications.service import ROLE_LABELS, ApplicationService, ApplicationSummary
from server.applications.workflow import ACTION_LABELS
from server.audit import log as audit
from server.audit.access import fold_visits
from sync.models import Application


async def provide_applications(request: Request, db_session: NamedDependency[AsyncSession]) -> ApplicationService:
    return ApplicationService(db_session, request.app.state.rules)


@dataclass
class ActionIn:
    action: str  # start_review | request_revision | pass_on | approve | reject
    note: str = ""
    notes: dict[str, str] = field(default_factory=dict)  # field id or `req:<requirement id>` -> what to fix
    legal_basis: str = ""  # required to reject


@dataclass
class WithdrawIn:
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
    step: int | None  # 1-based
    step_count: int
    step_agency: str | None


def application_out(s: ApplicationSummary) -> ApplicationOut:
    a = s.application
    return ApplicationOut(tracking_number=a.tracking_number, state=a.state, region_code=a.region_code, service_id=a.service_id,
                          service_version=a.service_version, submissions=s.submissions,
                          due_date=a.due_date.isoformat() if a.due_date else None, received_at=a.created_at.isoformat(),
                          step=a.step_position + 1 if a.step_position is not None else None, step_count=a.step_count,
                          step_agency=a.step_agency)


class OperatorApi(Controller):
    path = "/api/wilayah/{code:str}/permohonan"
    tags = ["applications"]
    opt = {"guard": "agency_operator"}
    dependencies = {"applications": Provide(provide_applications)}

    @get("/{tracking_number:str}")
    async def get_application(self, code: FromPath[str], tracking_number: FromPath[str],
                              applications: NamedDependency[ApplicationService]) -> ApplicationOut:
        """Agency operator of the region: one application by its tracking number."""
        return application_out(await applications.summary(code, tracking_number))

    @post("/{tracking_number:str}/tindakan", status_code=200)
    async def act(self, request: Request, code: FromPath[str], tracking_number: FromPath[str], data: JSONBody[ActionIn],
                  applications: NamedDependency[ApplicationService]) -> ApplicationOut:
        """Agency operator of the region, on a step their agency owns: move the application on."""
        who = await current_identity(request)
        await applications.act(code, tracking_number, data.action, who, note=data.note, notes=data.notes, legal_basis=data.legal_basis)
        return application_out(await applications.summary(code, tracking_number))


@dataclass
class AccessOut:
    at: str
    agency: str
    role: str
    role_label: str
    action: str
    action_label: str
    purpose: str
    tracking_number: str | None
    views: int = 0  # a visit: how many times the application was opened, and how many files
    files: int = 0


ACCESS_LABELS = {"view": "Melihat permohonan", "view_file": "Membuka berkas", "check_requirement": "Memeriksa persyaratan",
                 **ACTION_LABELS}


class CitizenApi(Controller):
    path = "/api"
    tags = ["applications"]
    opt = {"guard": "citizen"}
    dependencies = {"applications": Provide(provide_applications)}

    @post("/permohonan/{tracking_number:str}/batal", status_code=200)
    async def withdraw(self, request: Request, tracking_number: FromPath[str], data: JSONBody[WithdrawIn],
                       applications: NamedDependency[ApplicationService]) -> dict[str, str]:
        """Citizen: withdraw one's own application before a decision."""
        who = await current_identity(request)
        outcome = await applications.withdraw(who, tracking_number, data.note)
        return {"state": outcome.state}

    @get("/saya/akses")
    async def access_log(self, request: Request, db_session: NamedDependency[AsyncSession]) -> dict[str, list[AccessOut]]:
        """Citizen: who (agency, role) saw or acted on their applications, when and why."""
        who = await current_identity(request)
        account = await db_session.get(Account, who.account_id)
        entries = await audit.for_person(db_session, who.account_id, account.nik_hash if account else None)
        ids = {e.application_id for e in entries if e.application_id}
        numbers: dict[int, str] = {}
        if ids:
            numbers = dict((await db_session.exec(select(Application.id, Application.tracking_number)
                                                  .where(col(Application.id).in_(ids)))).all())
        out = [AccessOut(at=v.first.at.isoformat(), agency=v.first.actor_agency_name, role=v.first.actor_role,
                         role_label=ROLE_LABELS.get(v.first.actor_role, v.first.actor_role), action=v.action,
                         action_label=ACCESS_LABELS.get(v.action, v.action), purpose=v.first.purpose,
                         tracking_number=numbers.get(v.first.application_id or 0), views=v.views, files=v.files)
               for v in fold_visits(entries)]
        return {"entries": out}

