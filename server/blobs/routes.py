"""`/blobs/`: photos and documents sent from the device, resumably (TUS 1.0 core, creation and
termination: https://tus.io/protocols/resumable-upload), and read back by their owner.

The rules live in `sync.blobs`; these handlers translate headers. Every answer carries
`Tus-Resumable` (errors get it in `server.errors`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from litestar import Request, Response, delete, get, head, patch, post, route
from litestar.exceptions import InternalServerException
from litestar.params import FromPath
from litestar.response import Stream
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.guards import current_identity
from sync.blobs import (
    MAX_FILE_BYTES,
    QUOTA_BYTES,
    TUS_VERSION,
    ContentTypeInvalid,
    OffsetMismatch,
    UploadInterrupted,
    Uploads,
    announced,
    check_version,
    parse_length,
    parse_metadata,
)
from sync.files import settle_waiting

UPLOADER = {"guard": "uploader"}
TUS = {"Tus-Resumable": TUS_VERSION}
NO_STORE = "no-store"


def _uploads(request: Request, session: AsyncSession) -> Uploads:
    return Uploads(session, request.app.state.blobs)


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The PATCH body as it arrives; a connection cut mid-body is an expected event on 2G, not a fault."""
    try:
        async for chunk in request.stream():
            yield chunk
    except InternalServerException as exc:  # Litestar's "client disconnected prematurely"
        raise UploadInterrupted() from exc


def _session(request: Request) -> AsyncSession:
    return AsyncSession(request.app.state.engine, expire_on_commit=False)


async def _account(request: Request) -> tuple[str, int]:
    who = await current_identity(request)
    quota = QUOTA_BYTES["field_officer"] if who.has_role("field_officer") else QUOTA_BYTES["citizen"]
    return who.account_id, quota


@route("/blobs/uploads", http_method=["OPTIONS"], opt={"guard": "public"}, include_in_schema=False)
async def tus_options() -> Response[None]:
    """TUS 1.0 §OPTIONS: what this server speaks; no version check, no session."""
    return Response(None, status_code=204, headers={**TUS, "Tus-Version": TUS_VERSION, "Tus-Extension": "creation,termination",
                                                    "Tus-Max-Size": str(MAX_FILE_BYTES)})


@post("/blobs/uploads", opt=UPLOADER, status_code=201)
async def create_upload(request: Request) -> Response[None]:
    """TUS 1.0 §Creation: Upload-Length and Upload-Metadata (sha256, mime, field, filename) → Location."""
    check_version(request.headers.get("tus-resumable"))
    length = parse_length(request.headers.get("upload-length"))
    what = announced(parse_metadata(request.headers.get("upload-metadata")))
    account_id, quota = await _account(request)
    async with _session(request) as session:
        upload_id = await _uploads(request, session).create(account_id, length, what, quota)
    return Response(None, status_code=201, headers={**TUS, "Location": f"/blobs/uploads/{upload_id}"})


@head("/blobs/uploads/{upload_id:str}", opt=UPLOADER)
async def upload_offset(request: Request, upload_id: FromPath[str]) -> Response[None]:
    """TUS 1.0 §HEAD: where to resume."""
    check_version(request.headers.get("tus-resumable"))
    account_id, _ = await _account(request)
    async with _session(request) as session:
        at = await _uploads(request, session).progress(account_id, upload_id)
    return Response(None, status_code=200, headers={**TUS, "Upload-Offset": str(at.offset), "Upload-Length": str(at.length),
                                                    "Cache-Control": NO_STORE})


@patch("/blobs/uploads/{upload_id:str}", opt=UPLOADER, status_code=204)
async def upload_chunk(request: Request, upload_id: FromPath[str]) -> Response[None]:
    """TUS 1.0 §PATCH: bytes at Upload-Offset; the last one verifies and stores the file."""
    check_version(request.headers.get("tus-resumable"))
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/offset+octet-stream":
        raise ContentTypeInvalid()
    offset = request.headers.get("upload-offset", "")
    if not offset.isdigit():
        raise OffsetMismatch(offset=None)
    account_id, _ = await _account(request)
    async with _session(request) as session:
        at = await _uploads(request, session).append(account_id, upload_id, int(offset), _body(request))
        if at.completed:
            await settle_waiting(session, account_id, request.app.state.rules)
    return Response(None, status_code=204, headers={**TUS, "Upload-Offset": str(at.offset)})


@delete("/blobs/uploads/{upload_id:str}", opt=UPLOADER, status_code=204)
async def terminate_upload(request: Request, upload_id: FromPath[str]) -> Response[None]:
    """TUS 1.0 §Termination."""
    check_version(request.headers.get("tus-resumable"))
    account_id, _ = await _account(request)
    async with _session(request) as session:
        await _uploads(request, session).terminate(account_id, upload_id)
    return Response(None, status_code=204, headers=TUS)


@head("/blobs/{sha256:str}", opt=UPLOADER)
async def blob_known(request: Request, sha256: FromPath[str]) -> Response[None]:
    """200 when the caller already owns this file (the device skips uploading it), else 404."""
    account_id, _ = await _account(request)
    async with _session(request) as session:
        blob = await _uploads(request, session).owned(account_id, sha256)
    return Response(None, status_code=200, headers={**TUS, "Content-Length": str(blob.size), "Content-Type": blob.mime,
                                                    "Cache-Control": "private, no-cache"})


@get("/blobs/{sha256:str}", opt=UPLOADER)
async def blob_bytes(request: Request, sha256: FromPath[str]) -> Stream:
    """The file, for the person who uploaded it. Immutable: its name is its hash."""
    account_id, _ = await _account(request)
    async with _session(request) as session:
        blob = await _uploads(request, session).owned(account_id, sha256)
    return Stream(request.app.state.blobs.iter_bytes(sha256), media_type=blob.mime,
                  headers={**TUS, "Content-Length": str(blob.size), "Cache-Control": "private, max-age=31536000, immutable",
                           "X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"})


BLOB_ROUTES = [tus_options, create_upload, upload_offset, upload_chunk, terminate_upload, blob_known, blob_bytes]
