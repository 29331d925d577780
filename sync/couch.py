"""The only module that builds CouchDB URLs or holds the service-admin credentials.

It speaks the CouchDB 3 HTTP API (opaque `seq` strings, `_bulk_get`, `_revs_diff`,
`_security`) so the same code runs on the embedded PouchDB Server and on a CouchDB cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from sync.errors import CouchUnavailable


@dataclass(frozen=True)
class CouchInfo:
    vendor: str
    version: str


class CouchClient:
    """An async client that talks to CouchDB as the service admin."""

    def __init__(self, url: str, user: str, password: str, *, transport: httpx.AsyncBaseTransport | None = None):
        self.url = url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.url,
            auth=(user, password),
            # read=None: longpoll and continuous feeds stay silent for long stretches
            timeout=httpx.Timeout(connect=5.0, read=None, write=60.0, pool=10.0),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=20, keepalive_expiry=4.0),
            # PouchDB Server's gzip middleware buffers streaming feeds (recipes §2 pitfall 3)
            headers={"Accept-Encoding": "identity"},
            transport=transport,
        )

    @property
    def http(self) -> httpx.AsyncClient:
        return self._http

    async def info(self, timeout: float = 3.0) -> CouchInfo:
        try:
            r = await self._http.get("/", timeout=timeout)
        except httpx.HTTPError as exc:
            raise CouchUnavailable(f"CouchDB at {self.url} is unreachable: {type(exc).__name__}") from exc
        if r.status_code != 200:
            raise CouchUnavailable(f"CouchDB at {self.url} answered {r.status_code}")
        body = r.json()
        vendor = body.get("vendor", {}).get("name") or ("PouchDB Server" if "express-pouchdb" in body else "CouchDB")
        return CouchInfo(vendor=vendor, version=str(body.get("version", "unknown")))

    async def aclose(self) -> None:
        await self._http.aclose()
