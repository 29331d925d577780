"""Back-office entry pages: staff sign-in, staff enrolment by one-time link, the staff home with a
way to each role's work, and the region admin's staff page (rules in `server.accounts.staff`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import AccountService, Identity, RoleInvalid
from server.accounts.routes import provide_accounts, provide_identity
from server.accounts.staff import REGION_ROLES, StaffService
from server.catalog.models import Agency, Region
from server.push.routes import forget_device

ROLE_LABELS = {"field_officer": "Petugas lapangan", "agency_operator": "Operator instansi", "region_admin": "Admin MPP daerah",
               "national_monitor": "Pemantau nasional"}


async def provide_staff(db_session: NamedDependency[AsyncSession], accounts: NamedDependency[AccountService]) -> StaffService:
    return StaffService(db_session, accounts)


def _field(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return str(value[-1] if isinstance(value, list) and value else value).strip()[:200]


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/backoffice") and "//" not in value else "/backoffice"


class StaffPages(Controller):
    path = "/backoffice"
    include_in_schema = False
    dependencies = {"accounts": Provide(provide_accounts), "who": Provide(provide_identity), "staff": Provide(provide_staff)}

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

    @get("/wilayah/{code:str}/petugas", opt={"guard": "region_admin"})
    async def staff_page(self, code: FromPath[str], staff: NamedDependency[StaffService], db_session: NamedDependency[AsyncSession]) -> Template:
        """Region admin of `code`: the region's staff and the form for a new account."""
        return await _staff_page(db_session, staff, code)

    @post("/wilayah/{code:str}/petugas", opt={"guard": "region_admin"}, status_code=200)
    async def create_staff(self, request: Request, code: FromPath[str], data: URLEncodedBody[dict[str, Any]], who: NamedDependency[Identity],
                           staff: NamedDependency[StaffService], db_session: NamedDependency[AsyncSession]) -> Template:
        """Region admin of `code`: a new staff account; the page shows its one-time enrolment link."""
        form = {key: _field(data, key) for key in ("display_name", "role", "agency_id")}
        try:
            account, code_text = await staff.create(who, code, display_name=form["display_name"], role=form["role"],
                                                    agency_id=int(form["agency_id"]) if form["agency_id"].isdigit() else None)
        except RoleInvalid:
            await db_session.rollback()
            return await _staff_page(db_session, staff, code, form=form, error=True, status_code=400)
        link = f"{request.app.state.settings.web.public_origin}/backoffice/daftar#kode={code_text}"
        return await _staff_page(db_session, staff, code, created={"name": account.display_name, "role": REGION_ROLES[form["role"]], "link": link},
                                 status_code=201)


async def _staff_page(session: AsyncSession, staff: StaffService, code: str, *, form: dict[str, str] | None = None, error: bool = False,
                      created: dict[str, str] | None = None, status_code: int = 200) -> Template:
    region = await session.get(Region, code)
    return Template("accounts/staff.html.j2", status_code=status_code, context={
        "region": region, "section": "petugas", "members": await staff.members(code), "agencies": await staff.agencies(code),
        "roles": REGION_ROLES, "form": form or {"display_name": "", "role": "agency_operator", "agency_id": ""}, "error": error,
        "created": created})
