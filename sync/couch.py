"""The only module that builds CouchDB URLs or holds the service-admin credentials.

It speaks the CouchDB 3 HTTP API (opaque `seq` strings, `_bulk_get`, `_revs_diff`,
`_security`) so the same code runs on the embedded PouchDB Server and on a CouchDB cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

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
        self._validation_safe: bool | None = None

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

    async def runs_validation_on_replication(self) -> bool:
        """Whether `validate_doc_update` may be installed without breaking replication.

        Apache CouchDB: yes. PouchDB Server (embedded, development and tests): no — its
        validation plugin replaces an incoming doc's `_revisions` with the stored one's before
        writing, so every `new_edits: false` update of an existing doc is silently dropped
        (answered 201, nothing stored). There the gateway's own checks are the only guard.
        """
        if self._validation_safe is None:
            self._validation_safe = "pouchdb" not in (await self.info()).vendor.lower()
        return self._validation_safe

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- databases and documents (service admin) -------------------------------------------

    async def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            return await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise CouchUnavailable(f"CouchDB at {self.url} is unreachable: {type(exc).__name__}") from exc

    async def ensure_db(self, name: str, security: dict | None = None) -> bool:
        """Create `name` unless it exists; set `_security` (admins only by default). True if created."""
        r = await self._request("PUT", f"/{quote(name, safe='')}")
        if r.status_code not in (201, 202, 412):
            raise CouchUnavailable(f"could not create database ({r.status_code})")
        sec = security or {"admins": {"names": [], "roles": ["_admin"]}, "members": {"names": [], "roles": ["_admin"]}}
        r2 = await self._request("PUT", f"/{quote(name, safe='')}/_security", json=sec)
        if r2.status_code >= 400:
            raise CouchUnavailable(f"could not set database security ({r2.status_code})")
        return r.status_code in (201, 202)

    async def get_doc(self, db: str, doc_id: str) -> dict | None:
        r = await self._request("GET", f"/{quote(db, safe='')}/{quote(doc_id, safe='')}")
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not read a document ({r.status_code})")
        return r.json()

    async def all_docs(self, db: str, keys: list[str] | None = None, include_docs: bool = True) -> list[dict]:
        params = {"include_docs": "true" if include_docs else "false"}
        path = f"/{quote(db, safe='')}/_all_docs"
        r = await (self._request("POST", path, params=params, json={"keys": keys}) if keys is not None
                   else self._request("GET", path, params=params))
        if r.status_code == 404:
            return []
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not list documents ({r.status_code})")
        return [row for row in r.json()["rows"] if "error" not in row]

    async def doc_count(self, db: str) -> int:
        """The database's live documents (`doc_count` of its info; deleted ones are not counted)."""
        r = await self._request("GET", f"/{quote(db, safe='')}")
        if r.status_code == 404:
            return 0
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not read database info ({r.status_code})")
        return int(r.json().get("doc_count", 0))

    async def missing_ids(self, db: str, ids: list[str]) -> set[str]:
        """The ids among `ids` the database holds no live revision of (never written, or deleted)."""
        if not ids:
            return set()
        r = await self._request("POST", f"/{quote(db, safe='')}/_all_docs", json={"keys": ids})
        if r.status_code == 404:
            return set(ids)
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not list documents ({r.status_code})")
        live = {row["id"] for row in r.json()["rows"] if "error" not in row and not (row.get("value") or {}).get("deleted")}
        return set(ids) - live

    async def changes(self, db: str, since: str, limit: int) -> dict | None:
        """One page of `_changes` with the winning revision of each doc; None when `db` does not exist.

        `since` and the answer's `last_seq` are opaque (integers on PouchDB Server, strings on CouchDB 3).
        """
        params = {"since": since, "limit": str(limit), "include_docs": "true", "style": "all_docs"}
        r = await self._request("GET", f"/{quote(db, safe='')}/_changes", params=params)
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not read changes ({r.status_code})")
        return r.json()

    async def bulk_docs(self, db: str, docs: list[dict], *, new_edits: bool | None = None) -> list[dict]:
        """Write docs in one request; returns CouchDB's per-doc results (conflicts included).

        `new_edits=False` stores each doc's `_rev` (and `_revisions` history) as it is, as
        replication does; CouchDB then answers only the failures."""
        if not docs:
            return []
        body: dict = {"docs": docs} if new_edits is None else {"docs": docs, "new_edits": new_edits}
        r = await self._request("POST", f"/{quote(db, safe='')}/_bulk_docs", json=body)
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not write documents ({r.status_code})")
        return r.json()

    async def revs_diff(self, db: str, revs: dict[str, list[str]]) -> dict[str, list[str]]:
        """`_revs_diff`: {doc id: the given revisions the database does not have}; ids it has all of are left out."""
        if not revs:
            return {}
        r = await self._request("POST", f"/{quote(db, safe='')}/_revs_diff", json=revs)
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not compare revisions ({r.status_code})")
        return {doc_id: row.get("missing", []) for doc_id, row in r.json().items() if row.get("missing")}

    async def upsert_docs(self, db: str, docs: list[dict]) -> int:
        """Write each doc unless the stored one already has the same content; returns how many changed."""
        existing = {row["id"]: row.get("doc") for row in await self.all_docs(db, [d["_id"] for d in docs])}
        changed = []
        for doc in docs:
            old = existing.get(doc["_id"])
            if old is not None:
                if {k: v for k, v in old.items() if k != "_rev"} == doc:
                    continue
                doc = {**doc, "_rev": old["_rev"]}
            changed.append(doc)
        results = await self.bulk_docs(db, changed)
        failed = [r for r in results if "error" in r]
        if failed:
            raise CouchUnavailable(f"{len(failed)} documents were not written ({failed[0].get('error')})")
        return len(changed)
