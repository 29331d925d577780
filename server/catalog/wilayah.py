"""Kemendagri area codes for the catalog: which kabupaten/kota exist, their names and kind.

The loader lives in `identity.wilayah`, because NIK checks need the same codes and identity/
may not import server/; this module only gives the catalog its own import path. The data file
is `server/catalog/data/wilayah.csv` (source and licence in WILAYAH-SOURCE.md beside it).
"""

from __future__ import annotations

from identity.wilayah import (
    DATA_FILE,
    EDITION,
    District,
    Province,
    Regency,
    RegencyKind,
    Wilayah,
    district,
    districts,
    dotted,
    exists,
    load,
    province,
    provinces,
    regencies,
    regency,
)

__all__ = [
    "DATA_FILE",
    "EDITION",
    "District",
    "Province",
    "Regency",
    "RegencyKind",
    "Wilayah",
    "district",
    "districts",
    "dotted",
    "exists",
    "load",
    "province",
    "provinces",
    "regencies",
    "regency",
]
