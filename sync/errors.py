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
