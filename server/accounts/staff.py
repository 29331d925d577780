"""A region's staff, as its region admin manages them: who works where, and new accounts.

The page (`/backoffice/wilayah/<code>/petugas`) and the JSON API (`POST /api/identity/staff/<code>`)
both create staff through `StaffService.create`, so one rule holds for both: region-scoped
roles only, an agency operator needs an agency of the same region, and the account itself is
made by `identity.accounts.AccountService.create_staff` (one-time enrolment code, 24 hours).
Who may call either is the `region_admin` guard for the region in the path.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import AccountService, Identity, RoleInvalid
from identity.models import Account, Credential, RoleGrant
from server.catalog.models import Agency

# the roles a region admin hands out in their own region, with the words the page shows
REGION_ROLES = {"agency_operator": "Operator instansi", "field_officer": "Petugas lapangan", "region_admin": "Admin MPP daerah"}


@dataclass(frozen=True)
class StaffMember:
    account_id: str
    name: str
    role: str
    role_label: str
    agency: str
    enrolled: bool  # has made a passkey with their link


class StaffService:
    def __init__(self, session: AsyncSession, accounts: AccountService):
        self.session = session
        self.accounts = accounts

    async def agencies(self, region_code: str) -> list[Agency]:
        return list((await self.session.exec(select(Agency).where(Agency.region_code == region_code).order_by(Agency.id))).all())

    async def members(self, region_code: str) -> list[StaffMember]:
        rows = (await self.session.exec(
            select(RoleGrant, Account).join(Account, col(Account.id) == RoleGrant.account_id)
            .where(RoleGrant.region_code == region_code, col(RoleGrant.role).in_(REGION_ROLES))
            .order_by(col(Account.display_name)))).all()
        agencies = {a.id: a.short_name for a in await self.agencies(region_code)}
        ids = {account.id for _, account in rows}
        enrolled = set((await self.session.exec(select(Credential.account_id).where(col(Credential.account_id).in_(ids)))).all()) if ids else set()
        return [StaffMember(account_id=account.id, name=account.display_name, role=grant.role, role_label=REGION_ROLES[grant.role],
                            agency=agencies.get(grant.agency_id, "") if grant.agency_id else "", enrolled=account.id in enrolled)
                for grant, account in rows]

    async def create(self, by: Identity, region_code: str, *, display_name: str, role: str, agency_id: int | None) -> tuple[Account, str]:
        """A staff account in `region_code` and its one-time enrolment code."""
        if role not in REGION_ROLES or not " ".join((display_name or "").split()):
            raise RoleInvalid(role=role)
        if role == "agency_operator":
            agency = await self.session.get(Agency, agency_id) if agency_id is not None else None
            if agency is None or agency.region_code != region_code:
                raise RoleInvalid(role=role)
        else:
            agency_id = None
        return await self.accounts.create_staff(by, display_name=display_name, role=role, region_code=region_code, agency_id=agency_id)
