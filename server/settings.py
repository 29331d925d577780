"""Configuration, read from the environment only.

In development (`MPP_ENV` unset or `development`) every missing value gets a default; the
secrets among them are generated once and kept in the git-ignored `var/` folder by
`server.devenv`. In production (`MPP_ENV=production`) a missing value stops start-up with one
line that names it and shows an example.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent

# name -> example shown when it is missing in production
REQUIRED_IN_PRODUCTION: dict[str, str] = {
    "DATABASE_URL": "postgresql+asyncpg://mpp:secret@db:5432/mpp",
    "COUCHDB_URL": "http://couchdb:5984",
    "COUCHDB_USER": "mpp_service",
    "COUCHDB_PASSWORD": "a-long-random-password",
    "SECRET_KEY": "64 random hex characters (python -c 'import secrets; print(secrets.token_hex(32))')",
    "PUBLIC_ORIGIN": "https://mpp.example.go.id",
    "BLOB_DIR": "/srv/mpp/blobs",
    "VAPID_PRIVATE_KEY": "the raw P-256 private key as 43 base64url characters",
    "VAPID_PUBLIC_KEY": "the uncompressed P-256 public key as 87 base64url characters",
    "VAPID_SUBJECT": "mailto:admin@mpp.example.go.id",
    "PII_KEY": "64 random hex characters (AES-256 key for NIK, KK and phone at rest)",
}


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line meant for the operator."""


@dataclass(frozen=True)
class DatabaseSettings:
    url: str


@dataclass(frozen=True)
class CouchSettings:
    url: str  # without credentials, e.g. http://127.0.0.1:5984; a cluster: its nodes, separated by commas
    user: str
    password: str = field(repr=False)
    db_prefix: str = ""  # put before every database name, so deployments can share one CouchDB

    @property
    def nodes(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.url.split(",") if u.strip()]


@dataclass(frozen=True)
class WebSettings:
    public_origin: str
    secret_key: str = field(repr=False)

    @property
    def rp_id(self) -> str:
        """WebAuthn relying-party id: the bare host name of the public origin."""
        return urlsplit(self.public_origin).hostname or "localhost"

    @property
    def secure_cookies(self) -> bool:
        return self.public_origin.startswith("https://")


@dataclass(frozen=True)
class PushSettings:
    vapid_private_key: str = field(repr=False)
    vapid_public_key: str
    subject: str
    backoff_seconds: float = 30.0  # first wait before a refused (429/5xx) message is sent again


@dataclass(frozen=True)
class Settings:
    env: str
    database: DatabaseSettings
    couch: CouchSettings
    web: WebSettings
    push: PushSettings
    blob_dir: Path
    var_dir: Path
    pii_key: str = field(repr=False)
    pwa_dir: Path = ROOT / "pwa" / "dist"
    session_redis_url: str | None = None  # production: sessions shared by every replica
    purge_after_days: int = 30  # a finished application leaves the device this long after its last change

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        mode = env.get("MPP_ENV", "development").strip() or "development"
        if mode not in ("development", "production", "test"):
            raise ConfigError(f"MPP_ENV={mode!r} is not known; use development or production")
        var_dir = Path(env.get("MPP_VAR_DIR", ROOT / "var"))

        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if value:
                return value
            if mode == "production":
                raise ConfigError(f"{name} is not set; example: {name}={REQUIRED_IN_PRODUCTION[name]}")
            raise ConfigError(f"{name} is not set; run through `make run` or `python -m server` to get development defaults")

        origin = need("PUBLIC_ORIGIN").rstrip("/")
        if mode == "production" and not origin.startswith("https://"):
            raise ConfigError(f"PUBLIC_ORIGIN must use https in production; example: PUBLIC_ORIGIN={REQUIRED_IN_PRODUCTION['PUBLIC_ORIGIN']}")
        purge_days = env.get("PURGE_AFTER_DAYS", "").strip() or "30"
        if not purge_days.isdigit() or int(purge_days) < 1:
            raise ConfigError(f"PURGE_AFTER_DAYS={purge_days!r} must be a whole number of days, 1 or more; example: PURGE_AFTER_DAYS=30")
        backoff = env.get("PUSH_BACKOFF_SECONDS", "").strip() or "30"
        try:
            if float(backoff) <= 0:
                raise ValueError(backoff)
        except ValueError:
            raise ConfigError(f"PUSH_BACKOFF_SECONDS={backoff!r} must be a number of seconds above 0; example: PUSH_BACKOFF_SECONDS=30") from None
        couch_url = need("COUCHDB_URL")
        for node in [u.strip() for u in couch_url.split(",")]:
            parts = urlsplit(node)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
                raise ConfigError(f"COUCHDB_URL={node!r} must be http(s)://host:port, several separated by commas, without "
                                  "credentials (those go in COUCHDB_USER and COUCHDB_PASSWORD); example: "
                                  "COUCHDB_URL=http://couch1:5984,http://couch2:5984,http://couch3:5984")
        if len({urlsplit(u.strip()).path.rstrip("/") for u in couch_url.split(",")}) != 1:
            raise ConfigError("COUCHDB_URL: every node must be reached at the same path; example: "
                              "COUCHDB_URL=http://couch1:5984,http://couch2:5984")
        db_prefix = env.get("COUCHDB_DB_PREFIX", "").strip()
        if db_prefix and not re.fullmatch(r"[a-z][a-z0-9_$()+-]{0,63}", db_prefix):
            raise ConfigError(f"COUCHDB_DB_PREFIX={db_prefix!r} must start with a lowercase letter and use only a-z, 0-9 "
                              "and _$()+-; example: COUCHDB_DB_PREFIX=batam_")
        return cls(
            env=mode,
            database=DatabaseSettings(url=need("DATABASE_URL")),
            couch=CouchSettings(url=",".join(u.strip().rstrip("/") for u in couch_url.split(",")), user=need("COUCHDB_USER"),
                                password=need("COUCHDB_PASSWORD"), db_prefix=db_prefix),
            web=WebSettings(public_origin=origin, secret_key=need("SECRET_KEY")),
            push=PushSettings(
                vapid_private_key=need("VAPID_PRIVATE_KEY"),
                vapid_public_key=need("VAPID_PUBLIC_KEY"),
                subject=need("VAPID_SUBJECT"),
                backoff_seconds=float(backoff),
            ),
            blob_dir=Path(need("BLOB_DIR")),
            var_dir=var_dir,
            pii_key=need("PII_KEY"),
            pwa_dir=Path(env.get("MPP_PWA_DIR") or ROOT / "pwa" / "dist"),
            session_redis_url=env.get("SESSION_REDIS_URL") or None,
            purge_after_days=int(purge_days),
        )
