"""`/lacak` (page) and `/api/lacak` (JSON, for the app): an application's status by tracking
number and the applicant's birth date. Public; the rules are in `server.applications.lookup`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from server.applications.lookup import Lookup, StatusLookup

PUBLIC = {"guard": "public"}


async def provide_lookup(db_session: NamedDependency[AsyncSession], request: Request) -> StatusLookup:
    return StatusLookup(db_session, request.app.state.pii)


def _ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _page(found: Lookup | None, number: str = "", birth_date: str = "") -> Template:
    status_code = 429 if found and found.wait_minutes else 200
    return Template("applications/lacak.html.j2", status_code=status_code,
                    context={"found": found, "number": number, "birth_date": birth_date})


class StatusPages(Controller):
    path = "/"
    include_in_schema = False
    opt = PUBLIC
    dependencies = {"lookup": Provide(provide_lookup)}

    @get("/lacak")
    async def form(self) -> Template:
        """Public: the look-up form."""
        return _page(None)

    @post("/lacak", status_code=200)
    async def answer(self, request: Request, data: URLEncodedBody[dict[str, Any]], lookup: NamedDependency[StatusLookup]) -> Template:
        """Public: the status for a tracking number and birth date, or "not found"."""
        number, birth_date = str(data.get("nomor", ""))[:60], str(data.get("tanggal_lahir", ""))[:20]
        return _page(await lookup.look_up(number, birth_date, _ip(request)), number, birth_date)


class StatusApi(Controller):
    path = "/api/lacak"
    tags = ["applications"]
    opt = PUBLIC
    dependencies = {"lookup": Provide(provide_lookup)}

    @get("/")
    async def look_up(self, request: Request, lookup: NamedDependency[StatusLookup], nomor: FromQuery[str] = "",
                      tanggal_lahir: FromQuery[str] = "") -> Response:
        """Public: `{found: true, status: {...}}` or `{found: false, message}` (429 when throttled)."""
        found = await lookup.look_up(nomor[:60], tanggal_lahir[:20], _ip(request))
        if found.wait_minutes:
            return Response({"code": "identity.too_many_attempts", "message": found.message, "details": {"minutes": found.wait_minutes}},
                            status_code=429)
        if found.status is None:
            return Response({"found": False, "message": found.message})
        return Response({"found": True, "status": asdict(found.status)})
