"""Push subscription routes.

- `GET /api/push/key` (public): the server's VAPID public key, for `pushManager.subscribe`.
- `GET|POST|DELETE /api/push/subscriptions` (signed in): whether this device gets notifications,
  subscribe it (replacing its earlier subscription), or turn them off. Signing out and revoking
  a device delete its subscription too (`forget_device`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy import delete as sql_delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.models import utcnow
from server.accounts.guards import current_identity
from server.push.models import PushSubscription
from server.settings import Settings


class SubscriptionInvalid(ValueError):
    """The browser's subscription cannot be used: an endpoint or keys a push service would not give."""


@dataclass
class KeysIn:
    p256dh: str = ""
    auth: str = ""


@dataclass
class SubscriptionIn:
    """`PushSubscription.toJSON()` as the browser gives it."""

    endpoint: str = ""
    keys: KeysIn = field(default_factory=KeysIn)
    expirationTime: float | None = None  # noqa: N815 — the browser's name (a DOMHighResTimeStamp)


def _b64url(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as exc:
        raise SubscriptionInvalid("keys") from exc


def check_subscription(data: SubscriptionIn, production: bool) -> None:
    """A subscription a push service could have made: an https endpoint on a public host (plain
    http and local hosts only outside production), a P-256 public key and a 16-byte secret."""
    parts = urlsplit(data.endpoint)
    if len(data.endpoint) > 1024 or parts.scheme not in ("https", "http") or not parts.hostname:
        raise SubscriptionInvalid("endpoint")
    if production:
        if parts.scheme != "https" or parts.hostname == "localhost" or parts.hostname.endswith(".localhost"):
            raise SubscriptionInvalid("endpoint")
        try:
            address = ipaddress.ip_address(parts.hostname)
        except ValueError:
            address = None  # a name, not an address
        if address is not None and not address.is_global:
            raise SubscriptionInvalid("endpoint")
    key, secret = _b64url(data.keys.p256dh), _b64url(data.keys.auth)
    if len(key) != 65 or key[0] != 4 or len(secret) != 16:
        raise SubscriptionInvalid("keys")


async def forget_device(session: AsyncSession, device_id: str) -> None:
    """The device signed out or was revoked: it gets no more notifications."""
    await session.exec(sql_delete(PushSubscription).where(col(PushSubscription.device_id) == device_id))  # type: ignore[call-overload]


class PushApi(Controller):
    path = "/api/push"
    tags = ["push"]

    @get("/key", opt={"guard": "public"})
    async def key(self, request: Request) -> dict[str, str]:
        """Public: the VAPID public key (applicationServerKey)."""
        settings: Settings = request.app.state.settings
        return {"public_key": settings.push.vapid_public_key}

    @get("/subscriptions", opt={"guard": "signed_in"}, cache=False)
    async def mine(self, request: Request, db_session: NamedDependency[AsyncSession]) -> dict[str, bool]:
        """Signed in: whether this device gets notifications."""
        who = await current_identity(request)
        found = (await db_session.exec(select(PushSubscription.id).where(PushSubscription.device_id == who.device_id))).first()
        return {"enabled": found is not None}

    @post("/subscriptions", opt={"guard": "signed_in"}, status_code=201)
    async def subscribe(self, request: Request, data: JSONBody[SubscriptionIn], db_session: NamedDependency[AsyncSession]) -> dict[str, bool]:
        """Signed in: this device's subscription; it replaces the device's earlier one."""
        who = await current_identity(request)
        settings: Settings = request.app.state.settings
        check_subscription(data, settings.production)
        endpoint_key = hashlib.sha256(data.endpoint.encode()).hexdigest()
        # the browser may hand the same subscription to a new session on this device, or a new one to this session
        await db_session.exec(sql_delete(PushSubscription).where(  # type: ignore[call-overload]
            (col(PushSubscription.device_id) == who.device_id) | (col(PushSubscription.endpoint_key) == endpoint_key)))
        db_session.add(PushSubscription(account_id=who.account_id, device_id=who.device_id, endpoint=data.endpoint,
                                        endpoint_key=endpoint_key, p256dh=data.keys.p256dh, auth=data.keys.auth,
                                        updated_at=utcnow()))
        await db_session.commit()
        return {"enabled": True}

    @delete("/subscriptions", opt={"guard": "signed_in"}, status_code=200)
    async def unsubscribe(self, request: Request, db_session: NamedDependency[AsyncSession]) -> dict[str, bool]:
        """Signed in: no more notifications on this device."""
        who = await current_identity(request)
        await forget_device(db_session, who.device_id)
        await db_session.commit()
        return {"enabled": False}
