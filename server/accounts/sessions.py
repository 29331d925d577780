"""Server-side sessions: one per signed-in device, 30 days sliding, cookie HttpOnly + SameSite=Strict.

The store is a folder on disk by default and Redis/Valkey in production (SESSION_REDIS_URL),
so every app replica sees every session.
"""

from __future__ import annotations

from datetime import timedelta

from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.stores.file import FileStore

from server.settings import Settings

SESSION_DAYS = 30


def session_store(settings: Settings) -> Store:
    if settings.session_redis_url:
        from litestar.stores.redis import RedisStore

        return RedisStore.with_client(url=settings.session_redis_url, namespace="mpp-sessions")
    return FileStore(path=settings.var_dir / "sessions", create_directories=True)


def session_config(settings: Settings) -> ServerSideSessionConfig:
    return ServerSideSessionConfig(
        key="mpp_session",
        max_age=int(timedelta(days=SESSION_DAYS).total_seconds()),
        renew_on_access=True,  # sliding: every use while online pushes expiry 30 days ahead
        httponly=True,
        samesite="strict",
        secure=settings.web.secure_cookies,
        store="sessions",
    )
