"""`/verifikasi/<token>`: the public page a QR code on an output document opens.

It shows only what lets a reader trust the paper in front of them (type, number, masked holder
name, dates, agency, status), never the holder's name or NIK. A forged token and an unknown one
get the same answer, so the page cannot be used to probe which tokens exist.
"""

from __future__ import annotations

from datetime import datetime, timezone

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.outputs.issue import local_date
from server.outputs.pdf import DEVELOPMENT_BANNER, OPEN_ENDED
from server.outputs.tokens import read_token, token_secret
from sync.models import IssuedDocument
from sync.publisher import tanggal

STATUS_VALID, STATUS_REVOKED, STATUS_EXPIRED = "Sah", "Dicabut", "Kedaluwarsa"


def document_status(doc: IssuedDocument, now: datetime) -> str:
    if doc.revoked_at is not None:
        return STATUS_REVOKED
    if doc.valid_until is not None and doc.valid_until < local_date(doc.region_code, now):
        return STATUS_EXPIRED
    return STATUS_VALID


@get("/verifikasi/{token:str}", opt={"guard": "public"}, include_in_schema=False, name="verify-output")
async def verify_output(token: FromPath[str], request: Request, db_session: NamedDependency[AsyncSession]) -> Template:
    """Public: whether an issued document is genuine and still in force."""
    token_id = read_token(token_secret(request.app.state.settings), token[:120])
    doc = None
    if token_id is not None:
        doc = (await db_session.exec(select(IssuedDocument).where(IssuedDocument.token_id == token_id))).first()
    if doc is None:
        return Template("outputs/verify.html.j2", status_code=404, context={"doc": None})
    found = {
        "title": doc.title, "number": doc.number, "holder": doc.holder_name_masked, "agency": doc.agency_name,
        "issued_on": tanggal(local_date(doc.region_code, doc.issued_at)),
        "valid_until": tanggal(doc.valid_until) if doc.valid_until else OPEN_ENDED,
        "status": document_status(doc, datetime.now(timezone.utc)),
        "development": DEVELOPMENT_BANNER if doc.development else "",
    }
    return Template("outputs/verify.html.j2", context={"doc": found})


OUTPUT_ROUTES = [verify_output]
