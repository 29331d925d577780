"""`/sync/...`: the only way a device reaches CouchDB.

`/sync/catalog/<region>` is public and read-only: a region's published catalog, pulled by the
app so forms open with no signal (the device keeps the replication checkpoint on its side).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.response import Stream

from sync.access import Decision, catalog_access, server_root
from sync.gateway import forward, read_limited

METHODS = [HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE]
CATALOG_BODY_LIMIT = 256 * 1024  # _bulk_get / _all_docs key lists only


async def _proxy(request: Request, decision: Decision, body_limit: int) -> Response:
    if not decision.allowed:
        raise decision.refusal()
    content = None
    if request.method in ("POST", "PUT"):
        content = await read_limited(request.stream(), body_limit)
    upstream = await forward(request.app.state.couch, request.method, decision.upstream_path,
                             request.scope["query_string"].decode("latin-1"), request.headers.items(), content)
    headers = dict(upstream.headers)
    body = upstream.body
    if _compressible(request, decision.upstream_path) and upstream.status == 200:
        body = gzip_stream(body)
        headers["content-encoding"] = "gzip"
        headers["vary"] = "Accept-Encoding"
    if request.method == "HEAD":
        if upstream.content_length:
            headers["content-length"] = upstream.content_length
        await upstream.body.aclose()
        return Response(b"", status_code=upstream.status, headers=headers)
    return Stream(body, status_code=upstream.status, headers=headers)


def _compressible(request: Request, upstream_path: str) -> bool:
    """One-shot replies are gzipped (a catalog pull shrinks ~20×); live feeds never are, since
    compression buffers them until they end."""
    if "gzip" not in request.headers.get("accept-encoding", "") or request.method == "HEAD":
        return False
    last = upstream_path.rsplit("/", 1)[-1]
    if last in ("_bulk_get", "_all_docs"):
        return True
    return last == "_changes" and "feed" not in request.query_params


async def gzip_stream(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip container
    try:
        async for chunk in body:
            out = compressor.compress(chunk)
            if out:
                yield out
        yield compressor.flush()
    finally:
        await body.aclose()


def _raw_tail(request: Request, prefix: str) -> str:
    raw = request.scope["raw_path"].decode("latin-1")
    return raw[len(prefix):] if raw.startswith(prefix) else ""


@route(["/sync", "/sync/catalog"], http_method=METHODS, opt={"guard": "public"}, include_in_schema=False)
async def sync_root(request: Request) -> Response:
    """Public: the server root PouchDB reads its replication id from (uuid and version only)."""
    return await _proxy(request, server_root(request.method), 0)


@route(["/sync/catalog/{code:str}", "/sync/catalog/{code:str}/{rest:path}"], http_method=METHODS,
       opt={"guard": "public"}, include_in_schema=False, request_max_body_size=CATALOG_BODY_LIMIT)
async def catalog_proxy(request: Request) -> Response:
    """Public, read-only: pull replication of one region's catalog."""
    code, sep, rest = _raw_tail(request, "/sync/catalog/").partition("/")
    return await _proxy(request, catalog_access(request.method, code, sep + rest), CATALOG_BODY_LIMIT)
