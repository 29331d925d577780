"""Exceptions raised by the sync side; `server.errors` turns each into a status and a message."""

from __future__ import annotations


class SyncError(Exception):
    """Base for every error of the sync package; `details` are safe to show (no personal data)."""

    def __init__(self, detail: str = "", **details: object) -> None:
        super().__init__(detail or type(self).__name__)
        self.details = details


class CouchUnavailable(SyncError):
    """CouchDB (or the embedded PouchDB Server) cannot be reached or refused the service admin."""


class SyncRefused(SyncError):
    """Base for a replication request the gateway will not forward."""


class PathInvalid(SyncRefused):
    """Dot segments or encoded separators: a request trying to step outside its database."""


class NotReplicable(SyncRefused):
    """Nothing a device may reach lives at this path."""


class ReadOnly(SyncRefused):
    """A write to something devices may only read (the catalog, status documents, design docs)."""


class MethodRefused(SyncRefused):
    """The path exists but not for this method."""


class BodyTooLarge(SyncRefused):
    """The request body is over the route's limit."""


class ServerOnly(SyncRefused):
    """Only the server may do this: design docs, `_security`, queries, compaction, purging,
    creating or deleting a database."""


class QueryRefused(SyncRefused):
    """A query parameter a device has no use for (another feed kind, a design-doc filter)."""


class BodyInvalid(SyncRefused):
    """The request body is not the JSON this request needs."""


class DocRefused(SyncRefused):
    """Base for a document a device may not write; `code` is the stable code of `sync.drafts`."""

    code = "sync.doc_refused"


class DocInvalid(DocRefused):
    code = "sync.doc_invalid"


class DocTooLarge(DocRefused):
    code = "sync.doc_too_large"


class ServerOwned(DocRefused):
    """`status:*` docs are written by the server only."""

    code = "sync.server_owned"


class DocNotAllowed(DocRefused):
    """Devices write `draft:<uuid>` docs and nothing else."""

    code = "sync.doc_not_allowed"


class AttachmentRefused(DocRefused):
    """Photos go up through `/blobs/`; a draft only references them."""

    code = "sync.attachment_refused"


class FieldNotAllowed(DocRefused):
    code = "sync.field_not_allowed"


class DraftLocked(DocRefused):
    """The server holds an application for this draft; only its own submission may be resent."""

    code = "sync.draft_locked"


class AssistedNotAllowed(DocRefused):
    """A draft filed for someone else (`applicant.kind` "assisted"): field officers only."""

    code = "sync.assisted_not_allowed"


class BudgetFull(DocRefused):
    """The database holds as many documents as its person's role allows; a new one would go past it."""

    code = "sync.budget_full"


DOC_REFUSALS: dict[str, type[DocRefused]] = {
    cls.code: cls for cls in (DocInvalid, DocTooLarge, ServerOwned, DocNotAllowed, AttachmentRefused, FieldNotAllowed, DraftLocked,
                              AssistedNotAllowed, BudgetFull)
}
