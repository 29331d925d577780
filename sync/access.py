"""Which replication requests a device may make, decided on the raw request path.

The gateway never trusts CouchDB (or PouchDB Server, whose `_security` can be bypassed) to
refuse anything: every request is matched against an allow-list here first. Decisions are made
on the raw, still percent-encoded path so that an encoded slash can never move a request into
another database or document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from sync.catalog import catalog_db, is_region_code
from sync.errors import MethodRefused, NotReplicable, PathInvalid, ReadOnly, SyncRefused


@dataclass(frozen=True)
class Decision:
    upstream_path: str = ""  # raw path on the CouchDB server, when allowed
    refusal: type[SyncRefused] | None = None

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @classmethod
    def allow(cls, upstream_path: str) -> Decision:
        return cls(upstream_path=upstream_path)

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
