"""Per-region catalog databases (`catalog-<region>`) that devices pull to open forms offline.

CouchDB database names may not contain dots, so region `21.71` lives in `catalog-2171`. Docs:
- `service:<service id>:<version>` — one published standar pelayanan, `current` marks the
  version new applications use; older versions stay while drafts pin them.
- `region:<code>` — the region's name and agencies, for the device's headings.
Only the service admin writes here; devices get read-only access through the gateway.
"""

from __future__ import annotations

import re

from sync.couch import CouchClient

_REGION = re.compile(r"^\d{2}\.\d{2}$")

# Defence in depth: even a request that slipped past the gateway cannot write here.
VALIDATE_READ_ONLY = """function (newDoc, oldDoc, userCtx) {
  if (userCtx.roles.indexOf('_admin') === -1) {
    throw({forbidden: 'Katalog hanya dapat diubah oleh server.'});
  }
}"""


def is_region_code(code: str) -> bool:
    return bool(_REGION.match(code))


def catalog_db(region_code: str) -> str:
    if not is_region_code(region_code):
        raise ValueError(f"not a kabupaten/kota code: {region_code!r}")
    return "catalog-" + region_code.replace(".", "")


def service_doc_id(service_id: str, version: int) -> str:
    return f"service:{service_id}:{version}"


async def ensure_catalog_db(couch: CouchClient, region_code: str) -> str:
    db = catalog_db(region_code)
    await couch.ensure_db(db)
    await couch.upsert_docs(db, [{"_id": "_design/readonly", "validate_doc_update": VALIDATE_READ_ONLY}])
    return db


async def write_catalog(couch: CouchClient, region_code: str, docs: list[dict]) -> int:
    """Write these docs into the region's catalog database, skipping unchanged ones (idempotent)."""
    db = await ensure_catalog_db(couch, region_code)
    return await couch.upsert_docs(db, docs)
