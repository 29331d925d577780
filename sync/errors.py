"""Exceptions raised by the sync side; `server.errors` turns each into a status and a message."""

from __future__ import annotations


class SyncError(Exception):
    """Base for every error of the sync package; `details` are safe to show (no personal data)."""

    def __init__(self, detail: str = "", **details: object) -> None:
        super().__init__(detail or type(self).__name__)
        self.details = details


class CouchUnavailable(SyncError):
    """CouchDB (or the embedded PouchDB Server) cannot be reached or refused the service admin."""
