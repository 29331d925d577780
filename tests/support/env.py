"""Environments for the app under test: every setting given, pointing at the test stores."""

from __future__ import annotations

import secrets
from pathlib import Path

from server.devenv import generate_vapid_keys
from tests.support.couchdb import CouchUnderTest


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'mpp.sqlite3'}"


def app_env(sql: str, couch: CouchUnderTest, tmp_path: Path, origin: str = "http://localhost:8000") -> dict[str, str]:
    """A complete environment for the app, pointing at the test stores."""
    vapid_private, vapid_public = generate_vapid_keys()
    return {
        "MPP_ENV": "test",
        "MPP_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": sql,
        "COUCHDB_URL": couch.app_url,
        "COUCHDB_DB_PREFIX": couch.prefix,
        "COUCHDB_USER": couch.user,
        "COUCHDB_PASSWORD": couch.password,
        "SECRET_KEY": secrets.token_hex(32),
        "PUBLIC_ORIGIN": origin,
        "BLOB_DIR": str(tmp_path / "blobs"),
        "VAPID_PRIVATE_KEY": vapid_private,
        "VAPID_PUBLIC_KEY": vapid_public,
        "VAPID_SUBJECT": "mailto:test@mpp.localhost",
        "PII_KEY": secrets.token_hex(32),
    }
