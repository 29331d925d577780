"""Authorization: every route declares who may call it (`opt={"guard": ...}`), one app-wide guard
enforces it, and a route that declares nothing is refused (deny by default).

Policies:
  public            anyone
  signed_in         any signed-in account
  citizen           a citizen account
  own_database      a citizen or a field officer (any region): the people with a database of their own (/sync/me)
  staff             any staff role
  officer           field_officer or agency_operator (in-person checks at the counter or in the field)
  uploader          a citizen or a field officer (any region): sends photos and documents to /blobs/
  field_officer, agency_operator, region_admin, national_monitor
Region-scoped roles must hold their grant in the region named by the route's `code` parameter.
"""

from __future__ import annotations

import time
from datetime import datetime

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import Identity, NotSignedIn, SessionRevoked, load_identity
from identity.errors import IdentityError

POLICIES = {"public", "signed_in", "citizen", "uploader", "own_database", "staff", "officer", "field_officer", "agency_operator", "region_admin", "national_monitor"}
REGION_SCOPED = {"field_officer", "agency_operator", "region_admin", "officer"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class GuardUndeclared(IdentityError):
    """A route without a declared guard: refused until someone states who may call it."""


class RoleRequired(IdentityError):
    """Signed in, but without the role (or not in the region) this route needs."""


class ForeignOrigin(IdentityError):
    """A state-changing request sent from another site."""


class RecentIdentities:
    """Identities loaded in the last few seconds, for the replication routes only.

    A syncing phone sends a burst of requests (checkpoint, revs_diff, bulk_docs, … per batch);
    loading the same identity from SQL for each of them doubled the gateway's cost. Signing out
    or revoking a device forgets the account here at once; a device revoked through another app
    replica may go on reading its own database and writing its checkpoints for at most `ttl`
    seconds. Writing documents, and every other route, always loads afresh.
    """

    def __init__(self, ttl: float = 5.0, size: int = 10_000):
        self.ttl = ttl
        self.size = size
        self._entries: dict[tuple[str, str, str], tuple[float, Identity]] = {}

    def get(self, key: tuple[str, str, str]) -> Identity | None:
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, key: tuple[str, str, str], who: Identity) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()  # a burst of distinct people: start over rather than scan
        self._entries[key] = (time.monotonic(), who)

    def forget(self, account_id: str) -> None:
        for key in [k for k in self._entries if k[0] == account_id]:
            del self._entries[key]


CACHED_PREFIX = "/sync/"


def _reuses_identity(method: str, path: str) -> bool:
    """Replication requests that write no document: reads, revs_diff/bulk_get, checkpoints."""
    if not path.startswith(CACHED_PREFIX) or path.endswith("/_bulk_docs"):
        return False
    return method in ("GET", "HEAD", "POST") or "/_local/" in path


async def current_identity(connection: ASGIConnection) -> Identity | None:
    """The caller's identity, loaded once per request from the server-side session."""
    state = connection.scope.setdefault("state", {})
    if "identity" in state:
        return state["identity"]
    data = connection.scope.get("session") or {}
    who = None
    if data.get("account") and data.get("device"):
        recent: RecentIdentities = connection.app.state.recent_identities
        key = (data["account"], data["device"], data.get("auth_at", ""))
        cacheable = _reuses_identity(connection.scope["method"], connection.scope["path"])
        who = recent.get(key) if cacheable else None
        if who is None:
            async with AsyncSession(connection.app.state.engine, expire_on_commit=False) as session:
                try:
                    who = await load_identity(session, data["account"], data["device"], datetime.fromisoformat(data["auth_at"]))
                except SessionRevoked:
                    connection.scope["session"] = {}  # forget it; the device signs in again, local data stays
                    state["identity"] = None
                    raise
            recent.put(key, who)
    state["identity"] = who
    return who


def _allowed(who: Identity, policy: str, region: str | None) -> bool:
    if policy == "signed_in":
        return True
    if policy == "citizen":
        return who.kind == "citizen"
    if policy == "uploader":
        return who.kind == "citizen" or who.has_role("field_officer")
    if policy == "own_database":
        return who.kind == "citizen" or who.has_role("field_officer")
    if policy == "staff":
        return who.kind == "staff" and bool(who.grants)
    roles = ("field_officer", "agency_operator") if policy == "officer" else (policy,)
    scope = region if policy in REGION_SCOPED else None
    return any(who.has_role(role, region_code=scope) for role in roles)


async def authorize(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    if connection.scope["method"] == "OPTIONS":
        return  # Litestar's automatic OPTIONS answers list the allowed methods and touch no data
    policy = handler.opt.get("guard")
    if policy not in POLICIES:
        raise GuardUndeclared(route=handler.handler_name)
    if connection.scope["method"] in UNSAFE:
        origin = connection.headers.get("origin")
        if origin and origin != connection.app.state.settings.web.public_origin and origin != "null":
            raise ForeignOrigin()
    if policy == "public":
        return
    who = await current_identity(connection)
    if who is None:
        raise NotSignedIn()
    if not _allowed(who, policy, connection.path_params.get("code")):
        raise RoleRequired(policy=policy)
