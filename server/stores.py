"""The stores the app and the worker share, built from settings in one way."""

from __future__ import annotations

from server.settings import CouchSettings
from sync.couch import CouchClient


def make_couch(settings: CouchSettings) -> CouchClient:
    """The service-admin CouchDB client: one node, or a cluster's node list with failover."""
    return CouchClient(settings.url, settings.user, settings.password, prefix=settings.db_prefix)
