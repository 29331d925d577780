"""Development defaults: generated on first run, kept in `var/` (git-ignored), never in the repo.

Only values that are missing from the environment are filled in, so an operator can always
override one by exporting it. Production never comes here (see `server.settings`).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def _b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def generate_vapid_keys() -> tuple[str, str]:
    """A P-256 key pair as (raw private key, uncompressed public key), both base64url (RFC 8292 §3.2)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return _b64u(private), _b64u(public)


def _generate_secrets() -> dict[str, str]:
    vapid_private, vapid_public = generate_vapid_keys()
    return {
        "SECRET_KEY": secrets.token_hex(32),
        "PII_KEY": secrets.token_hex(32),
        "COUCHDB_USER": "mpp_service",
        "COUCHDB_PASSWORD": secrets.token_urlsafe(24),
        "VAPID_PRIVATE_KEY": vapid_private,
        "VAPID_PUBLIC_KEY": vapid_public,
    }


def load_or_create_secrets(var_dir: Path) -> dict[str, str]:
    """Secrets generated once per checkout; the file is readable by its owner only."""
    path = var_dir / "dev-secrets.json"
    if path.exists():
        stored = json.loads(path.read_text())
        fresh = {k: v for k, v in _generate_secrets().items() if k not in stored}
        if not fresh:
            return stored
        stored.update(fresh)
    else:
        stored = _generate_secrets()
    var_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(stored, fh, indent=2)
    os.replace(tmp, path)
    return stored


def development_defaults(var_dir: Path, port: int = 8000) -> dict[str, str]:
    """Every setting a development run needs except COUCHDB_URL (the embedded server's address)."""
    var_dir = var_dir.resolve()
    defaults = {
        "MPP_ENV": "development",
        "MPP_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite+aiosqlite:///{var_dir / 'mpp.sqlite3'}",
        "PUBLIC_ORIGIN": f"http://localhost:{port}",
        "BLOB_DIR": str(var_dir / "blobs"),
        "VAPID_SUBJECT": "mailto:admin@mpp.localhost",
    }
    defaults.update(load_or_create_secrets(var_dir))
    return defaults


def apply_defaults(environ: dict[str, str], var_dir: Path, port: int = 8000) -> list[str]:
    """Fill in what `environ` lacks; returns the names that were filled."""
    filled = []
    for name, value in development_defaults(var_dir, port).items():
        if not environ.get(name):
            environ[name] = value
            filled.append(name)
    return filled
