"""The replication gateway's streaming core: forwards an allowed request to CouchDB as the
service admin and streams the answer back, byte for byte.

Why each detail (recipes §4): the raw path and query string go upstream untouched (a decoded
`%2F` would turn doc `a/b` into doc `a` + attachment `b`); `Accept-Encoding: identity`
because PouchDB Server's gzip buffers live feeds; no read timeout because longpoll and
continuous feeds stay silent for minutes; hop-by-hop headers, cookies and credentials never
cross; upstream `Location`/`Set-Cookie` would leak the private address and admin session.
Access decisions are not made here — see `sync.access`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import httpx

from sync.couch import CouchClient
from sync.errors import BodyTooLarge, CouchUnavailable

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
DROP_REQUEST = HOP_BY_HOP | {"cookie", "authorization", "host", "accept-encoding", "content-length", "origin", "referer",
                             "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "forwarded"}
DROP_RESPONSE = HOP_BY_HOP | {"set-cookie", "location", "date", "server", "content-encoding", "content-length", "x-powered-by"}


@dataclass
class Upstream:
    status: int
    headers: dict[str, str]
    body: AsyncIterator[bytes]
    content_length: str | None


async def limited(body: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """Passes the request body through, refusing it once it grows past `limit` bytes."""
    seen = 0
    async for chunk in body:
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(limit_kb=limit // 1024)
        yield chunk


async def read_limited(body: AsyncIterator[bytes], limit: int) -> bytes:
    return b"".join([chunk async for chunk in limited(body, limit)])


async def forward(couch: CouchClient, method: str, upstream_path: str, query_string: str,
                  headers: Iterable[tuple[str, str]], content: bytes | AsyncIterator[bytes] | None) -> Upstream:
    out_headers = {k: v for k, v in headers if k.lower() not in DROP_REQUEST}
    out_headers["accept-encoding"] = "identity"
    url = upstream_path + ("?" + query_string if query_string else "")
    request = couch.http.build_request(method, url, headers=out_headers, content=content)
    try:
        response = await couch.http.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise CouchUnavailable(f"CouchDB at {couch.url} is unreachable: {type(exc).__name__}") from exc

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        finally:
            await response.aclose()  # also when the device goes away mid-feed

    kept = {k: v for k, v in response.headers.items() if k.lower() not in DROP_RESPONSE}
    return Upstream(response.status_code, kept, body(), response.headers.get("content-length"))
