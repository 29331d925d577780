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

import json
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
    out_headers = {k: v for k, v in headers if k.lower() not in DROP_REQUEST and k.lower() != "accept"}
    out_headers["accept-encoding"] = "identity"
    # JSON only: CouchDB answers `open_revs` and `_bulk_get` as multipart unless asked for JSON,
    # PouchDB Server always in JSON; devices never receive attachments through the gateway.
    out_headers["accept"] = "application/json"
    url = couch.physical_path(upstream_path) + ("?" + query_string if query_string else "")
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
    if couch.prefix and method == "GET" and response.status_code == 200 and _database_root(upstream_path):
        info = await _logical_info(body(), couch.prefix)
        return Upstream(200, kept, _once(info), str(len(info)))
    return Upstream(response.status_code, kept, body(), response.headers.get("content-length"))


def _database_root(upstream_path: str) -> bool:
    """`/db` or `/db/`: a database's info."""
    return upstream_path.startswith("/") and "/" not in upstream_path[1:].rstrip("/") and upstream_path != "/"


async def _logical_info(body: AsyncIterator[bytes], prefix: str) -> bytes:
    """A database's info with its name as the device knows it (without the deployment's prefix)."""
    raw = b"".join([chunk async for chunk in body])
    try:
        info = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(info, dict) and isinstance(info.get("db_name"), str) and info["db_name"].startswith(prefix):
        info["db_name"] = info["db_name"][len(prefix):]
        return json.dumps(info, separators=(",", ":")).encode()
    return raw


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


# --- design docs stay on the server ------------------------------------------------------------
# A person's database holds `_design/mpp` (its validation function); devices must never pull
# it, so it is taken out of `_changes` and `_all_docs` answers on the way back.

DESIGN_PREFIX = "_design/"


def _is_design_row(row: object) -> bool:
    return isinstance(row, dict) and str(row.get("id", "")).startswith(DESIGN_PREFIX)


async def hide_design_rows(body: AsyncIterator[bytes], key: str) -> AsyncIterator[bytes]:
    """For one JSON answer (`_changes` normal or longpoll: `results`; `_all_docs`: `rows`).

    The answer is held until complete; each heartbeat that arrives meanwhile goes out as a
    newline, which is leading whitespace to the JSON parser, so longpoll keeps its connection
    alive exactly as without the gateway.
    """
    held = bytearray()
    try:
        async for chunk in body:
            held += chunk
            if not chunk.strip():
                yield b"\n"
    finally:
        await body.aclose()
    if DESIGN_PREFIX.encode() not in held:
        yield bytes(held)
        return
    try:
        answer = json.loads(bytes(held))
        rows = answer[key]
    except (ValueError, KeyError, TypeError):
        yield bytes(held)  # not the shape we know (an error body): pass it on untouched
        return
    kept = [row for row in rows if not _is_design_row(row)]
    answer[key] = kept
    if key == "rows" and isinstance(answer.get("total_rows"), int):
        answer["total_rows"] -= len(rows) - len(kept)
    yield json.dumps(answer, separators=(",", ":")).encode() + b"\n"


async def hide_design_lines(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """For `_changes?feed=continuous`: one change per line, heartbeats are empty lines."""
    pending = b""
    try:
        async for chunk in body:
            pending += chunk
            *lines, pending = pending.split(b"\n")
            out = b"".join(line + b"\n" for line in lines if not _design_line(line))
            if out:
                yield out
        if pending and not _design_line(pending):
            yield pending
    finally:
        await body.aclose()


def _design_line(line: bytes) -> bool:
    if DESIGN_PREFIX.encode() not in line:
        return False
    try:
        return _is_design_row(json.loads(line))
    except ValueError:
        return False
