"""The only module that builds CouchDB URLs or holds the service-admin credentials.

It speaks the CouchDB 3 HTTP API (opaque `seq` strings, `_bulk_get`, `_revs_diff`,
`_security`) so the same code runs on the embedded PouchDB Server and on a CouchDB cluster.

Names: the code speaks of logical databases (`userdb-<hex>`, `catalog-2171`); the client puts
an optional prefix in front of each (`COUCHDB_DB_PREFIX`), so several deployments — or a
conformance run — can share one CouchDB without touching each other's databases.

A cluster is reached through its node list (`COUCHDB_URL=http://a:5984,http://b:5984,…`):
`FailoverTransport` sends each request to the first node that accepts the connection and
skips a node that refused one for a few seconds. Only the connection is retried — a request
that reached a node is never sent twice — so no write can be applied twice by the client.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from sync.errors import CouchUnavailable

NODE_DOWN_SECONDS = 5.0  # a node that refused a connection is tried again after this long
# `_design/x` and `_local/x` keep their slash in a URL: CouchDB answers `_design%2Fx` with a
# 301 to the slashed form (and an empty body); any other slash in an id is encoded.
SLASHED_PREFIXES = ("_design/", "_local/")


def doc_path(doc_id: str) -> str:
    """A document id as one URL path segment (two for design and local docs)."""
    for prefix in SLASHED_PREFIXES:
        if doc_id.startswith(prefix):
            return prefix + quote(doc_id[len(prefix):], safe="")
    return quote(doc_id, safe="")


def preferred_node(count: int, pid: int) -> int:
    """Which of `count` nodes a process sends its requests to first: spread by process id, so the
    app replicas and workers of one deployment coordinate through different nodes."""
    return pid % count


def node_urls(url: str) -> list[str]:
    """`COUCHDB_URL` as a list of node URLs (one, or several separated by commas)."""
    return [u.strip().rstrip("/") for u in url.split(",") if u.strip()]


class FailoverTransport(httpx.AsyncBaseTransport):
    """Sends each request to the first of `nodes` that accepts the connection.

    Nodes are tried in order, starting at `start` (so that several app processes spread their
    requests over the cluster); a node that refused or timed out a connection is skipped for
    `down_seconds`, unless every node is. A request whose body is a stream cannot be replayed and
    is not retried.
    """

    def __init__(self, nodes: Sequence[str], *, start: int = 0, down_seconds: float = NODE_DOWN_SECONDS,
                 inner: httpx.AsyncBaseTransport | None = None, limits: httpx.Limits | None = None):
        self.nodes = [httpx.URL(n) for n in nodes]
        first = preferred_node(len(self.nodes), start)
        self.nodes = self.nodes[first:] + self.nodes[:first]
        self.down_seconds = down_seconds
        self._down_until = [0.0] * len(self.nodes)
        self._inner = inner or httpx.AsyncHTTPTransport(limits=limits or httpx.Limits())

    def _order(self) -> list[int]:
        now = time.monotonic()
        up = [i for i in range(len(self.nodes)) if self._down_until[i] <= now]
        return up + [i for i in range(len(self.nodes)) if i not in up]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        replayable = isinstance(request.stream, httpx.ByteStream)
        last: Exception | None = None
        for i in self._order():
            node = self.nodes[i]
            request.url = request.url.copy_with(scheme=node.scheme, host=node.host, port=node.port)
            request.headers["Host"] = request.url.netloc.decode("ascii")
            try:
                response = await self._inner.handle_async_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self._down_until[i] = time.monotonic() + self.down_seconds
                last = exc
                if not replayable:
                    raise
                continue
            self._down_until[i] = 0.0
            return response
        assert last is not None
        raise last

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass(frozen=True)
class CouchInfo:
    vendor: str
    version: str


class CouchClient:
    """An async client that talks to CouchDB as the service admin."""

    def __init__(self, url: str, user: str, password: str, *, prefix: str = "",
                 transport: httpx.AsyncBaseTransport | None = None):
        nodes = node_urls(url)
        if not nodes:
            raise ValueError("no CouchDB URL given")
        self.nodes = nodes
        self.url = nodes[0]
        self.prefix = prefix
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=20, keepalive_expiry=4.0)
        if transport is None and len(nodes) > 1:
            transport = FailoverTransport(nodes, start=os.getpid(), limits=limits)
        self._http = httpx.AsyncClient(
            base_url=self.url,
            auth=(user, password),
            # read=None: longpoll and continuous feeds stay silent for long stretches
            timeout=httpx.Timeout(connect=5.0, read=None, write=60.0, pool=10.0),
            limits=limits,
            # PouchDB Server's gzip middleware buffers streaming feeds (recipes §2 pitfall 3)
            headers={"Accept-Encoding": "identity"},
            transport=transport,
        )
        self._validation_safe: bool | None = None

    def db_path(self, db: str) -> str:
        """The URL path of logical database `db` (with the deployment's prefix)."""
        return "/" + quote(self.prefix + db, safe="")

    def doc_url(self, db: str, doc_id: str) -> str:
        return f"{self.db_path(db)}/{doc_path(doc_id)}"

    def physical_path(self, raw_path: str) -> str:
        """A raw request path on a logical database (`/userdb-…/_changes`) as sent to CouchDB.

        The server root (`/`) and server endpoints (`/_…`) are not databases and stay as they are."""
        if not self.prefix or not raw_path.startswith("/") or raw_path == "/" or raw_path.startswith("/_"):
            return raw_path
        return "/" + quote(self.prefix, safe="") + raw_path[1:]

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
        # q=1: a person's database is small; one shard (times n copies) keeps a cluster's files few
        r = await self._request("PUT", self.db_path(name), params={"q": "1"})
        if r.status_code not in (201, 202, 412):
            raise CouchUnavailable(f"could not create database ({r.status_code})")
        sec = security or {"admins": {"names": [], "roles": ["_admin"]}, "members": {"names": [], "roles": ["_admin"]}}
        r2 = await self._request("PUT", f"{self.db_path(name)}/_security", json=sec)
        if r2.status_code >= 400:
            raise CouchUnavailable(f"could not set database security ({r2.status_code})")
        return r.status_code in (201, 202)

    async def get_doc(self, db: str, doc_id: str) -> dict | None:
        r = await self._request("GET", self.doc_url(db, doc_id))
        if r.status_code == 404:
            return None
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not read a document ({r.status_code})")
        return r.json()

    async def all_docs(self, db: str, keys: list[str] | None = None, include_docs: bool = True) -> list[dict]:
        params = {"include_docs": "true" if include_docs else "false"}
        path = f"{self.db_path(db)}/_all_docs"
        r = await (self._request("POST", path, params=params, json={"keys": keys}) if keys is not None
                   else self._request("GET", path, params=params))
        if r.status_code == 404:
            return []
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not list documents ({r.status_code})")
        return [row for row in r.json()["rows"] if "error" not in row]

    async def doc_count(self, db: str) -> int:
        """The database's live documents (`doc_count` of its info; deleted ones are not counted, design docs are)."""
        r = await self._request("GET", self.db_path(db))
        if r.status_code == 404:
            return 0
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not read database info ({r.status_code})")
        return int(r.json().get("doc_count", 0))

    async def design_doc_count(self, db: str) -> int:
        """How many design docs the database holds (CouchDB counts them in `doc_count`)."""
        params = {"startkey": '"_design/"', "endkey": '"_design0"', "include_docs": "false"}
        r = await self._request("GET", f"{self.db_path(db)}/_all_docs", params=params)
        if r.status_code == 404:
            return 0
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not list documents ({r.status_code})")
        return len(r.json()["rows"])

    async def missing_ids(self, db: str, ids: list[str]) -> set[str]:
        """The ids among `ids` the database holds no live revision of (never written, or deleted)."""
        if not ids:
            return set()
        r = await self._request("POST", f"{self.db_path(db)}/_all_docs", json={"keys": ids})
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
        r = await self._request("GET", f"{self.db_path(db)}/_changes", params=params)
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
        r = await self._request("POST", f"{self.db_path(db)}/_bulk_docs", json=body)
        if r.status_code >= 400:
            raise CouchUnavailable(f"could not write documents ({r.status_code})")
        return r.json()

    async def revs_diff(self, db: str, revs: dict[str, list[str]]) -> dict[str, list[str]]:
        """`_revs_diff`: {doc id: the given revisions the database does not have}; ids it has all of are left out."""
        if not revs:
            return {}
        r = await self._request("POST", f"{self.db_path(db)}/_revs_diff", json=revs)
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
