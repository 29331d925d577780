"""`/api/identity/...`: enrolment, passkey sign-in, devices, passkeys, recovery, in-person
verification, staff. Each handler states its guard; the rules live in `identity.accounts`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import AccountService, Identity
from identity.models import Account, Device
from server.accounts.guards import current_identity
from server.accounts.staff import StaffService
from server.push.routes import forget_device
from sync.budget import doc_budget
from sync.errors import CouchUnavailable

log = logging.getLogger("mpp.identity")


async def provide_accounts(db_session: NamedDependency[AsyncSession], request: Request) -> AccountService:
    state = request.app.state
    return AccountService(db_session, state.pii, state.registry, state.passkeys)


async def provide_identity(request: Request) -> Identity:
    """The signed-in caller (the guard has already refused anyone else)."""
    return await current_identity(request)


def sign_in(request: Request, account: Account, device: Device) -> None:
    from identity.models import utcnow

    request.set_session({"account": account.id, "device": device.id, "auth_at": utcnow().isoformat()})


async def _prepare_userdb(request: Request, account_id: str) -> None:
    """The person's own sync database, ready before the app first replicates. If CouchDB is
    down, enrolment still succeeds: `/sync/me` creates the database on first use."""
    try:
        await request.app.state.userdbs.ensure(account_id)
    except CouchUnavailable:
        log.warning("sync database not prepared at enrolment; it will be made on first sync", exc_info=True)


def account_out(account: Account, who: Identity | None = None) -> dict[str, Any]:
    return {
        "id": account.id, "kind": account.kind, "name": account.display_name, "assurance": account.assurance,
        "roles": sorted(who.roles) if who else (["citizen"] if account.kind == "citizen" else []),
    }


@dataclass
class EnrollIn:
    nik: str
    full_name: str
    birth_date: date
    birth_place: str
    phone: str | None = None


@dataclass
class CodeIn:
    code: str


@dataclass
class CredentialIn:
    credential: dict[str, Any]


@dataclass
class VerifyIn:
    nik: str
    place: str
    region_code: str | None = None
    note: str = ""


@dataclass
class AssistedIn:
    nik: str
    full_name: str
    birth_date: date
    birth_place: str
    place: str
    region_code: str | None = None


@dataclass
class StaffIn:
    display_name: str
    role: str
    region_code: str | None = None
    agency_id: int | None = None


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class IdentityApi(Controller):
    path = "/api/identity"
    tags = ["identity"]
    dependencies = {"accounts": Provide(provide_accounts), "who": Provide(provide_identity)}

    # --- public: enrolment and sign-in --------------------------------------------------

    @get("/me", opt={"guard": "public"}, cache=False)
    async def me(self, request: Request, accounts: NamedDependency[AccountService]) -> dict[str, Any]:
        """Public: whether this device is signed in, and as whom (a citizen's own NIK and phone
        too, so their forms are filled in from the verified account)."""
        who = await current_identity(request)
        if who is None:
            return {"signed_in": False}
        return {"signed_in": True, "account": {"id": who.account_id, "kind": who.kind, "name": who.display_name,
                                                "assurance": who.assurance, "roles": sorted(who.roles), **await accounts.own_details(who)},
                "device": who.device_id,
                # how many docs this person's database may hold (drafts and status docs); the app warns near it
                "doc_budget": doc_budget(field_officer=who.kind == "staff" and who.has_role("field_officer"))}

    @post("/enroll/start", opt={"guard": "public"}, status_code=200)
    async def enroll_start(self, request: Request, data: JSONBody[EnrollIn], accounts: NamedDependency[AccountService]) -> dict:
        """Public (rate-limited): check NIK + name + birth date + birth place; passkey options on a match."""
        return await accounts.start_enrollment(request.session, nik=data.nik, full_name=data.full_name, birth_date=data.birth_date,
                                               birth_place=data.birth_place, client_ip=_ip(request), phone=data.phone)

    @post("/enroll/code", opt={"guard": "public"}, status_code=200)
    async def enroll_with_code(self, request: Request, data: JSONBody[CodeIn], accounts: NamedDependency[AccountService]) -> dict:
        """Public: a one-time enrolment or recovery code opens passkey creation."""
        return await accounts.start_enrollment_with_code(request.session, data.code)

    @post("/enroll/finish", opt={"guard": "public"}, status_code=201)
    async def enroll_finish(self, request: Request, data: JSONBody[CredentialIn], accounts: NamedDependency[AccountService]) -> dict:
        """Public: store the new passkey and sign this device in; recovery codes are shown once."""
        enrolled = await accounts.finish_enrollment(request.session, data.credential, request.headers.get("user-agent", ""))
        sign_in(request, enrolled.account, enrolled.device)
        if enrolled.account.kind == "citizen":
            await _prepare_userdb(request, enrolled.account.id)
        return {"account": account_out(enrolled.account), "recovery_codes": enrolled.recovery_codes}

    @post("/login/start", opt={"guard": "public"}, status_code=200)
    async def login_start(self, request: Request, accounts: NamedDependency[AccountService]) -> dict:
        """Public: options for a passkey sign-in (no user name: discoverable credentials)."""
        return accounts.start_sign_in(request.session)

    @post("/login/finish", opt={"guard": "public"}, status_code=200)
    async def login_finish(self, request: Request, data: JSONBody[CredentialIn], accounts: NamedDependency[AccountService]) -> dict:
        """Public: verify the passkey; signed in (or, when already signed in, re-authenticated)."""
        try:
            current = await current_identity(request)
        except Exception:  # a revoked session simply signs in anew
            current = None
        account, device = await accounts.finish_sign_in(request.session, data.credential, request.headers.get("user-agent", ""), current)
        sign_in(request, account, device)
        return {"account": account_out(account)}

    # --- signed in ------------------------------------------------------------------------

    @post("/logout", opt={"guard": "signed_in"}, status_code=200)
    async def logout(self, request: Request, who: NamedDependency[Identity], accounts: NamedDependency[AccountService]) -> dict:
        """Signed in: end this device's session (drafts on the device are kept)."""
        await accounts.sign_out(who)
        await forget_device(accounts.session, who.device_id)
        await accounts.session.commit()
        request.app.state.recent_identities.forget(who.account_id)
        request.clear_session()
        return {"signed_in": False}

    @get("/devices", opt={"guard": "signed_in"}, cache=False)
    async def devices(self, who: NamedDependency[Identity], accounts: NamedDependency[AccountService]) -> list[dict]:
        """Signed in: the person's own signed-in devices."""
        return [{"id": d.id, "name": d.name, "created_at": d.created_at.isoformat(), "last_seen_at": d.last_seen_at.isoformat(),
                 "current": d.id == who.device_id} for d in await accounts.devices(who)]

    @delete("/devices/{device_id:str}", opt={"guard": "signed_in"}, status_code=200)
    async def revoke_device(self, request: Request, device_id: FromPath[str], who: NamedDependency[Identity],
                            accounts: NamedDependency[AccountService]) -> dict:
        """Signed in, recently re-authenticated: sign one of the person's devices out."""
        await accounts.revoke_device(who, device_id)
        await forget_device(accounts.session, device_id)
        await accounts.session.commit()
        request.app.state.recent_identities.forget(who.account_id)
        return {"revoked": device_id}

    @get("/passkeys", opt={"guard": "signed_in"}, cache=False)
    async def passkeys(self, who: NamedDependency[Identity], accounts: NamedDependency[AccountService]) -> list[dict]:
        """Signed in: the person's passkeys."""
        return [{"id": c.id, "name": c.name, "created_at": c.created_at.isoformat(),
                 "last_used_at": c.last_used_at.isoformat() if c.last_used_at else None, "locked": c.locked_at is not None}
                for c in await accounts.passkeys_of(who)]

    @post("/passkeys/start", opt={"guard": "signed_in"}, status_code=200)
    async def add_passkey_start(self, request: Request, who: NamedDependency[Identity], accounts: NamedDependency[AccountService]) -> dict:
        """Signed in, recently re-authenticated: options to add another passkey."""
        return await accounts.start_add_passkey(who, request.session)

    @post("/passkeys/finish", opt={"guard": "signed_in"}, status_code=201)
    async def add_passkey_finish(self, request: Request, data: JSONBody[CredentialIn], who: NamedDependency[Identity],
                                 accounts: NamedDependency[AccountService]) -> dict:
        """Signed in: store the additional passkey."""
        row = await accounts.finish_add_passkey(who, request.session, data.credential, request.headers.get("user-agent", ""))
        return {"id": row.id, "name": row.name}

    @delete("/passkeys/{credential_id:str}", opt={"guard": "signed_in"}, status_code=200)
    async def remove_passkey(self, credential_id: FromPath[str], who: NamedDependency[Identity], accounts: NamedDependency[AccountService]) -> dict:
        """Signed in, recently re-authenticated: remove a passkey (never the last usable one)."""
        await accounts.remove_passkey(who, credential_id)
        return {"removed": credential_id}

    @post("/recovery-codes", opt={"guard": "signed_in"}, status_code=201)
    async def recovery_codes(self, who: NamedDependency[Identity], accounts: NamedDependency[AccountService]) -> dict:
        """Signed in, recently re-authenticated: 10 new recovery codes (the old ones stop working)."""
        return {"recovery_codes": await accounts.new_recovery_codes(who)}

    # --- officers and admins --------------------------------------------------------------

    @post("/verify-in-person", opt={"guard": "officer"}, status_code=200)
    async def verify_in_person(self, data: JSONBody[VerifyIn], who: NamedDependency[Identity], accounts: NamedDependency[AccountService]) -> dict:
        """Field officer or counter officer: KTP checked in person → the account becomes verified."""
        account = await accounts.verify_in_person(who, nik=data.nik, place=data.place, region_code=data.region_code, note=data.note)
        return {"account": account_out(account)}

    @post("/assisted-enrollment", opt={"guard": "officer"}, status_code=201)
    async def assisted_enrollment(self, data: JSONBody[AssistedIn], who: NamedDependency[Identity],
                                  accounts: NamedDependency[AccountService]) -> dict:
        """Field officer or counter officer: after the KTP check, a one-time code to add a passkey (24 h)."""
        account, code = await accounts.assisted_enrollment(who, nik=data.nik, full_name=data.full_name, birth_date=data.birth_date,
                                                           birth_place=data.birth_place, place=data.place, region_code=data.region_code)
        return {"account": account_out(account), "code": code, "valid_hours": 24}

    @post("/staff/{code:str}", opt={"guard": "region_admin"}, status_code=201)
    async def create_staff(self, code: FromPath[str], data: JSONBody[StaffIn], who: NamedDependency[Identity],
                           accounts: NamedDependency[AccountService], request: Request) -> dict:
        """Region admin of region `code`: a staff account with one role in that region, and its enrolment link."""
        account, enroll = await StaffService(accounts.session, accounts).create(who, code, display_name=data.display_name, role=data.role,
                                                                                agency_id=data.agency_id)
        origin = request.app.state.settings.web.public_origin
        return {"account": account_out(account), "code": enroll, "link": f"{origin}/backoffice/daftar#kode={enroll}", "valid_hours": 24}
