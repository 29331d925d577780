"""Back-office entry pages: staff sign-in, staff enrolment by one-time link, the staff home."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import AccountService, Identity
from server.accounts.routes import provide_accounts, provide_identity
from server.catalog.models import Agency, Region
from server.push.routes import forget_device

ROLE_LABELS = {"field_officer": "Petugas lapangan", "agency_operator": "Operator instansi", "region_admin": "Admin MPP daerah",
               "national_monitor": "Pemantau nasional"}


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/backoffice") and "//" not in value else "/backoffice"


class StaffPages(Controller):
    path = "/backoffice"
    include_in_schema = False
    dependencies = {"accounts": Provide(provide_accounts), "who": Provide(provide_identity)}

    @get("/masuk", opt={"guard": "public"})
    async def signin(self, next: FromQuery[str | None] = None) -> Template:
        """Public: the staff sign-in page (passkey)."""
        return Template("accounts/signin.html.j2", context={"next": _safe_next(next)})

    @get("/daftar", opt={"guard": "public"})
    async def enroll(self) -> Template:
        """Public: staff enrolment with the one-time code from the admin's link."""
        return Template("accounts/enroll.html.j2")

    @get("/", opt={"guard": "staff"})
    async def home(self, who: NamedDependency[Identity], db_session: NamedDependency[AsyncSession]) -> Template:
        """Staff: roles and where to work."""
        regions = {r.code: r.name for r in (await db_session.exec(select(Region))).all()}
        agencies = {a.id: a.short_name for a in (await db_session.exec(select(Agency))).all()}
        return Template("accounts/home.html.j2", context={"who": who, "regions": regions, "agencies": agencies, "role_labels": ROLE_LABELS})

    @post("/keluar", opt={"guard": "signed_in"})
    async def signout(self, request: Request, who: NamedDependency[Identity], accounts: NamedDependency[AccountService]) -> Redirect:
        """Signed in: end this session and go back to the sign-in page."""
        await accounts.sign_out(who)
        await forget_device(accounts.session, who.device_id)
        await accounts.session.commit()
        request.clear_session()
        return Redirect("/backoffice/masuk")
