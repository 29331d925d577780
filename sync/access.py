"""Which replication requests a device may make, decided on the raw request path.

The gateway never trusts CouchDB (or PouchDB Server, whose `_security` can be bypassed) to
refuse anything: every request is matched against an allow-list here first. Decisions are made
on the raw, still percent-encoded path so that an encoded slash can never move a request into
another database or document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from sync.catalog import catalog_db, is_region_code
from sync.drafts import DRAFT_ID, DRAFT_PREFIX, SERVER_PREFIXES
from sync.errors import (
    AttachmentRefused,
    DocNotAllowed,
    MethodRefused,
    NotReplicable,
    PathInvalid,
    QueryRefused,
    ReadOnly,
    ServerOnly,
    ServerOwned,
    SyncRefused,
)


@dataclass(frozen=True)
class Decision:
    upstream_path: str = ""  # raw path on the CouchDB server, when allowed
    refusal: type[SyncRefused] | None = None
    op: str = ""  # what an allowed request does (`Op`), so the gateway knows what to inspect
    doc_id: str | None = None  # the decoded doc id, for single-document requests
    body_limit: int = 0  # bytes a request body may have

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @classmethod
    def allow(cls, upstream_path: str, op: str = "", doc_id: str | None = None, body_limit: int = 0) -> Decision:
        return cls(upstream_path=upstream_path, op=op, doc_id=doc_id, body_limit=body_limit)

    @classmethod
    def deny(cls, refusal: type[SyncRefused]) -> Decision:
        return cls(refusal=refusal)


_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9_\-.:%~]+$")


def path_tricks(raw_path: str) -> bool:
    """True for dot segments, encoded slashes/backslashes/dots, or NUL, anywhere in the path."""
    lowered = raw_path.lower()
    if any(bad in lowered for bad in ("%2f", "%5c", "%2e", "%00", "\\")):
        return True
    return any(seg in (".", "..") for seg in raw_path.split("/"))


def server_root(method: str) -> Decision:
    """`GET /sync/` or `/sync/catalog/`: PouchDB reads the server uuid for its replication id."""
    if method in ("GET", "HEAD"):
        return Decision.allow("/")
    return Decision.deny(MethodRefused)


def catalog_access(method: str, region_code: str, rest: str) -> Decision:
    """Read-only pull of `catalog-<region>`: only what a pull replication needs.

    `rest` is the raw path after the region code ("" or "/_changes", "/service%3Ax%3A1", ...).
    """
    if not is_region_code(region_code):
        return Decision.deny(NotReplicable)
    if path_tricks(rest):
        return Decision.deny(PathInvalid)
    db = "/" + catalog_db(region_code)
    reading = method in ("GET", "HEAD")
    if rest in ("", "/"):
        return Decision.allow(db + "/") if reading else Decision.deny(ReadOnly)
    parts = rest.lstrip("/").split("/")
    head = parts[0]
    if head in ("_changes", "_all_docs") and len(parts) == 1:
        if reading or (method == "POST" and head == "_all_docs"):
            return Decision.allow(db + rest)
        return Decision.deny(ReadOnly)
    if head == "_bulk_get" and len(parts) == 1:
        return Decision.allow(db + rest) if method == "POST" else Decision.deny(MethodRefused)
    if head == "_local" and len(parts) == 2:
        # the device keeps its checkpoint on its own side; reading an absent one is harmless
        return Decision.allow(db + rest) if reading else Decision.deny(ReadOnly)
    if head.startswith("_"):
        return Decision.deny(NotReplicable if reading else ReadOnly)
    if len(parts) != 1 or not _SAFE_SEGMENT.match(head):
        return Decision.deny(NotReplicable)
    doc_id = unquote(head)
    if not (doc_id.startswith("service:") or doc_id.startswith("region:")):
        return Decision.deny(NotReplicable)
    return Decision.allow(db + rest) if reading else Decision.deny(ReadOnly)


class Op:
    """What an allowed `/sync/me` request does."""

    INFO = "info"
    LOCAL = "local"  # replication checkpoints; never replicated, never ingested
    CHANGES = "changes"
    REVS_DIFF = "revs_diff"
    BULK_GET = "bulk_get"
    ALL_DOCS = "all_docs"
    BULK_DOCS = "bulk_docs"
    DOC_READ = "doc_read"
    DOC_WRITE = "doc_write"
    DOC_DELETE = "doc_delete"


KB = 1024
BULK_DOCS_LIMIT = 2048 * KB  # one replication batch of drafts (≤ 64 KB each, photos go to /blobs/)
DOC_PUT_LIMIT = 128 * KB  # one draft (64 KB once compacted) with room for pretty-printing
LOCAL_LIMIT = 64 * KB  # a checkpoint doc: a few seqs and a short history
LIST_LIMIT = 512 * KB  # id/rev lists: _revs_diff, _bulk_get, _all_docs keys, _changes doc_ids
# Database-level endpoints a device never needs; only the server may use them.
SERVER_ONLY = {"_security", "_purge", "_purged_infos_limit", "_compact", "_view_cleanup", "_find", "_index", "_explain",
               "_revs_limit", "_design_docs", "_ensure_full_commit", "_missing_revs", "_shards", "_sync_shards",
               "_all_dbs", "_users", "_config", "_session", "_replicator", "_bulk_get_multipart", "_partition", "_local_docs"}
FEEDS = {"normal", "longpoll", "continuous"}  # not eventsource: the gateway reads feeds line by line
CHANGES_FILTERS = {"_doc_ids", "_selector"}  # never a design-doc filter or view


def _query(query_string: str) -> dict[str, list[str]]:
    return parse_qs(query_string, keep_blank_values=True)


def changes_query_refusal(query_string: str) -> type[SyncRefused] | None:
    q = _query(query_string)
    if any(v not in FEEDS for v in q.get("feed", [])):
        return QueryRefused
    if any(v not in CHANGES_FILTERS for v in q.get("filter", [])) or "view" in q:
        return QueryRefused
    return None


def feed_of(query_string: str) -> str:
    """The `_changes` feed asked for: "normal", "longpoll" or "continuous" (the last one given
    counts, as in CouchDB)."""
    feeds = _query(query_string).get("feed") or ["normal"]
    return feeds[-1]


def is_feed(query_string: str) -> bool:
    """A live `_changes` feed (longpoll or continuous): streamed, never compressed."""
    return feed_of(query_string) in ("longpoll", "continuous")


def readable_doc(doc_id: str) -> bool:
    """Docs a device may read from its own database: its drafts, the server's statuses and wallet docs."""
    return doc_id.startswith(DRAFT_PREFIX) or doc_id.startswith(SERVER_PREFIXES)


def me_access(method: str, db: str, rest: str, query_string: str = "") -> Decision:
    """A device's request to its own database `db` (`userdb-<hex>`), with `rest` the raw path
    after `/sync/me` ("" or "/_changes", "/draft%3A…", …).

    Only what PouchDB replication needs is allowed (recipes §4 lists the traffic); the doc
    bodies of writes are checked afterwards by the gateway (`sync.drafts.check_device_doc`).
    """
    if path_tricks(rest):
        return Decision.deny(PathInvalid)
    base = "/" + db
    if rest in ("", "/"):
        if method == "GET":
            return Decision.allow(base + "/", Op.INFO)
        # PUT creates and DELETE destroys a database: never from a device (and PouchDB
        # Server crashes on some of them, recipes §2 pitfall 2)
        return Decision.deny(ServerOnly if method in ("PUT", "DELETE") else MethodRefused)
    parts = rest.lstrip("/").split("/")
    head = parts[0]
    if head == "_local":
        if len(parts) != 2 or not _SAFE_SEGMENT.match(parts[1]):
            return Decision.deny(NotReplicable)
        if method in ("GET", "PUT", "DELETE"):
            return Decision.allow(base + rest, Op.LOCAL, body_limit=LOCAL_LIMIT)
        return Decision.deny(MethodRefused)
    if head == "_design" or head.startswith("_design/") or head in SERVER_ONLY:
        return Decision.deny(ServerOnly)
    if len(parts) != 1:
        if head.startswith("_") or not _SAFE_SEGMENT.match(head):
            return Decision.deny(NotReplicable)
        return Decision.deny(AttachmentRefused)  # photos go through /blobs/, never as attachments
    if head == "_changes":
        if method not in ("GET", "POST"):  # POST when PouchDB filters by doc_ids
            return Decision.deny(MethodRefused)
        refusal = changes_query_refusal(query_string)
        if refusal:
            return Decision.deny(refusal)
        return Decision.allow(base + rest, Op.CHANGES, body_limit=LIST_LIMIT)
    if head == "_all_docs":
        if method not in ("GET", "POST"):
            return Decision.deny(MethodRefused)
        return Decision.allow(base + rest, Op.ALL_DOCS, body_limit=LIST_LIMIT)
    posts = {"_revs_diff": (Op.REVS_DIFF, LIST_LIMIT), "_bulk_get": (Op.BULK_GET, LIST_LIMIT),
             "_bulk_docs": (Op.BULK_DOCS, BULK_DOCS_LIMIT)}
    if head in posts:
        op, limit = posts[head]
        return Decision.allow(base + rest, op, body_limit=limit) if method == "POST" else Decision.deny(MethodRefused)
    if head.startswith("_") or not _SAFE_SEGMENT.match(head):
        return Decision.deny(NotReplicable)
    doc_id = unquote(head)
    if method == "GET":
        return Decision.allow(base + rest, Op.DOC_READ, doc_id) if readable_doc(doc_id) else Decision.deny(NotReplicable)
    if method not in ("PUT", "DELETE"):
        return Decision.deny(MethodRefused)
    if doc_id.startswith(SERVER_PREFIXES):
        return Decision.deny(ServerOwned)
    if not DRAFT_ID.match(doc_id):
        return Decision.deny(DocNotAllowed)
    if method == "PUT":
        return Decision.allow(base + rest, Op.DOC_WRITE, doc_id, body_limit=DOC_PUT_LIMIT)
    return Decision.allow(base + rest, Op.DOC_DELETE, doc_id)
