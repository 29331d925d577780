"""Server-side sessions: one per signed-in device, 30 days sliding, cookie HttpOnly + SameSite=Strict.

The store is a folder on disk by default and Redis/Valkey in production (SESSION_REDIS_URL),
so every app replica sees every session.

Litestar's own backend writes the session back on every response and gives every anonymous
request a session of its own. A syncing phone sends dozens of requests a minute and every
anonymous catalog pull or health probe would leave a file behind, so `SlidingSessionBackend`
writes only what changed: nothing and no cookie for an anonymous request, the renewal of a
signed-in session at most once per `RENEW_EVERY`, and a new session id when someone signs in
(the id a browser held before signing in is never the one that carries the account).
Replication requests (`/sync/`) come in bursts and never change the session, so for them a
session read in the last few seconds is reused instead of read again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.stores.file import FileStore
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

from server.settings import Settings

SESSION_DAYS = 30
RENEW_EVERY = timedelta(hours=1)
STAMP = "_renewed_at"  # unix time of the last write, kept inside the session
_LOADED = "mpp.session_loaded"  # scope key: the session as read from the store, without STAMP
REUSE_FOR = 5.0  # seconds a session read is reused by replication requests
REUSE_PREFIX = "/sync/"


def session_store(settings: Settings) -> Store:
    if settings.session_redis_url:
        from litestar.stores.redis import RedisStore

        return RedisStore.with_client(url=settings.session_redis_url, namespace="mpp-sessions")
    return FileStore(path=settings.var_dir / "sessions", create_directories=True)


class SlidingSessionBackend(ServerSideSessionBackend):
    def __init__(self, config: ServerSideSessionConfig) -> None:
        super().__init__(config)
        self._recent: dict[str, tuple[float, dict[str, Any]]] = {}  # session id -> (read at, data)

    async def get(self, session_id: str, store: Store) -> bytes | None:
        return await store.get(session_id)  # renewal is decided when the answer goes out

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        reuse = bool(session_id) and connection.scope["path"].startswith(REUSE_PREFIX)
        recent = self._recent.get(session_id) if reuse else None  # type: ignore[arg-type]
        if recent is not None and time.monotonic() - recent[0] <= REUSE_FOR:
            data = dict(recent[1])
        else:
            data = await super().load_from_connection(connection)
            if session_id and data:
                self._remember(session_id, data)
        connection.scope[_LOADED] = dict(data)  # type: ignore[literal-required]
        return data

    def _remember(self, session_id: str, data: dict[str, Any]) -> None:
        if len(self._recent) >= 10_000:
            self._recent.clear()
        self._recent[session_id] = (time.monotonic(), dict(data))

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        store = self.config.get_store_from_app(connection.scope["app"])
        headers = MutableScopeHeaders.from_message(message)
        cookie_id = connection.cookies.get(self.config.key)
        cookie_id = None if cookie_id in (None, "", "null") else cookie_id
        loaded: dict[str, Any] = connection.scope.get(_LOADED) or {}  # type: ignore[assignment]

        if scope_session is Empty or not scope_session:
            if cookie_id:  # signed out, or a session the store no longer has
                self._recent.pop(cookie_id, None)
                await store.delete(cookie_id)
                headers.add("Set-Cookie", self._cookie("null", expires=0))
            return  # an anonymous request leaves nothing behind

        current = {k: v for k, v in scope_session.items() if k != STAMP}
        before = {k: v for k, v in loaded.items() if k != STAMP}
        now = time.time()
        if cookie_id and current == before and now - float(loaded.get(STAMP, 0)) < RENEW_EVERY.total_seconds():
            return  # unchanged and renewed recently: the stored session and the cookie both still hold

        session_id = cookie_id or connection.get_session_id() or self.generate_session_id()
        if cookie_id and current.get("account") and current.get("account") != before.get("account"):
            self._recent.pop(cookie_id, None)
            await store.delete(cookie_id)  # signing in: the account goes under a fresh id
            session_id = self.generate_session_id()
        await self.set(session_id, self.serialize_data({**current, STAMP: now}, connection.scope), store=store)
        self._recent.pop(session_id, None)
        headers.add("Set-Cookie", self._cookie(session_id))

    def _cookie(self, value: str, **extra: Any) -> str:
        params = dict(extract_dataclass_items(self.config, exclude_none=True, include=Cookie.__dict__.keys()))
        return Cookie(value=value, key=self.config.key, **{**params, **extra}).to_header(header="")


@dataclass
class SlidingSessionConfig(ServerSideSessionConfig):
    _backend_class = SlidingSessionBackend


def session_config(settings: Settings) -> ServerSideSessionConfig:
    return SlidingSessionConfig(
        key="mpp_session",
        max_age=int(timedelta(days=SESSION_DAYS).total_seconds()),
        renew_on_access=True,  # sliding: use while online pushes expiry 30 days ahead (written at most hourly)
        httponly=True,
        samesite="strict",
        secure=settings.web.secure_cookies,
        store="sessions",
    )
