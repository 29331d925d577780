"""`GET /healthz`: is each store reachable, and which version answers. Public, no personal data."""

from __future__ import annotations

import asyncio

from litestar import Request, Response, get
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db import sql_version
from sync.couch import CouchClient
from sync.errors import CouchUnavailable


async def _sql_state(engine: AsyncEngine) -> dict:
    try:
        version = await asyncio.wait_for(sql_version(engine), timeout=3.0)
    except Exception as exc:  # any failure means "not reachable"; the type is enough to diagnose
        return {"reachable": False, "dialect": engine.dialect.name, "error": type(exc).__name__}
    return {"reachable": True, "dialect": engine.dialect.name, "version": version}


async def _couch_state(couch: CouchClient) -> dict:
    try:
        info = await couch.info()
    except CouchUnavailable as exc:
        return {"reachable": False, "error": str(exc).split(":")[-1].strip()}
    return {"reachable": True, "vendor": info.vendor, "version": info.version}


@get("/healthz", opt={"guard": "public"}, include_in_schema=True, cache=False)
async def healthz(request: Request) -> Response:
    """Public: 200 when SQL and CouchDB both answer, 503 otherwise."""
    sql, couch = await asyncio.gather(_sql_state(request.app.state.engine), _couch_state(request.app.state.couch))
    ok = sql["reachable"] and couch["reachable"]
    return Response(
        {"status": "ok" if ok else "degraded", "sql": sql, "couchdb": couch},
        status_code=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )
