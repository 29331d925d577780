"""Counter page for "Ekspor yang belum terkirim" files (`/backoffice/wilayah/{code}/impor`).

A person whose phone cannot sync brings the file the app wrote and tells the officer its
passphrase; the officer uploads both here and the drafts are filed as if the phone had synced
(`sync.exports`). For field officers and agency operators of the region (policy "officer").
Server-rendered, usable without JavaScript, CSRF-protected; a file that cannot be read comes
back as the form with the reason beside it (4xx), never a 500.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from identity.accounts import Identity
from server.catalog.models import Region
from server.errors import lookup
from server.i18n import message, negotiate
from sync.exports import MAX_EXPORT_BYTES, ExportError, Importer, ImportResult, Refused, decrypt, parse
from sync.userdb import refusal_error
from sync.drafts import DocRefusal

OFFICER = {"guard": "officer"}  # the app-wide guard checks the grant is for the region in the path
OFFICER_ROLES = ("field_officer", "agency_operator")


def may_file_in(who: Identity):
    """The regions whose drafts this officer may file: those of their officer grants."""
    return lambda region_code: any(who.has_role(role, region_code=region_code) for role in OFFICER_ROLES) and bool(region_code)


def reason(refused: Refused, lang: str) -> str:
    """The refusal in the officer's language (the gateway's own sentences for `sync.*` codes)."""
    if refused.code.startswith("sync."):
        error = refusal_error(DocRefusal(refused.code, refused.draft_id, refused.detail))
        return message(error.code, lang, **error.details)
    return message(refused.code, lang, region=refused.detail)


class ExportImport(Controller):
    path = "/backoffice/wilayah/{code:str}/impor"
    opt = OFFICER

    @get("/")
    async def form_page(self, code: FromPath[str], request: Request) -> Template:
        return await self._form(request, code)

    @post("/", request_max_body_size=MAX_EXPORT_BYTES + 64 * 1024)
    async def import_file(self, code: FromPath[str], request: Request) -> Template:
        form = await request.form()
        upload, passphrase = form.get("berkas"), form.get("kata_sandi")
        lang = negotiate(request.headers.get("accept-language"))
        if not isinstance(upload, UploadFile) or not isinstance(passphrase, str) or not passphrase:
            return await self._form(request, code, status_code=400, error=message("export.form_incomplete", lang))
        try:
            export = parse(decrypt(await upload.read(), passphrase))
            async with AsyncSession(request.app.state.engine, expire_on_commit=False) as session:
                importer = Importer(session, request.app.state.couch, request.app.state.blobs, request.app.state.userdbs.ensure)
                result = await importer.file(export, may_file_in(request.scope["state"]["identity"]))
        except ExportError as exc:
            spec = lookup(exc)
            return await self._form(request, code, status_code=spec.status if spec else 400,
                                    error=message(spec.code if spec else "export.unreadable", lang, **exc.details))
        return await self._result(request, code, result, lang)

    async def _region(self, request: Request, code: str) -> Region | None:
        async with AsyncSession(request.app.state.engine) as session:
            return await session.get(Region, code)

    async def _form(self, request: Request, code: str, status_code: int = 200, error: str | None = None) -> Template:
        return Template("backoffice/exports/import.html.j2", status_code=status_code, context={
            "code": code, "region": await self._region(request, code), "error": error})

    async def _result(self, request: Request, code: str, result: ImportResult, lang: str) -> Template:
        refused = [(r.draft_id or "—", reason(r, lang)) for r in result.refused]
        return Template("backoffice/exports/result.html.j2", context={
            "code": code, "region": await self._region(request, code), "result": result, "refused": refused})
