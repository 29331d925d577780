"""Kemendagri administrative area codes: provinsi, kabupaten/kota and kecamatan.

A NIK or KK number starts with the code of the kecamatan (district) that issued it, and every
kabupaten/kota running MPP Digital is keyed by its code, so both identity/ and the catalog need the
same list. It lives here, in plain Python, because identity/ never imports server/;
`server.catalog.wilayah` re-exports this module for the catalog's use.

The data is the project's own copy of Kepmendagri No. 300.2.2-2138 Tahun 2025, kept beside the
catalog in `server/catalog/data/wilayah.csv` (see WILAYAH-SOURCE.md there). It is read as a file
by path, not imported, so identity/ still depends on nothing in server/.

Codes are written the Kemendagri way, two digits a level with dots: `21` (Kepulauan Riau),
`21.71` (Kota Batam), `21.71.01` (Belakang Padang). Lookups also take the undotted form a NIK
carries (`2171`, `217101`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

EDITION = "Kepmendagri No. 300.2.2-2138 Tahun 2025"
DATA_FILE = Path(__file__).resolve().parents[1] / "server" / "catalog" / "data" / "wilayah.csv"

RegencyKind = Literal["kabupaten", "kota"]

_DOTTED = re.compile(r"\d{2}(?:\.\d{2}){0,2}")
_UNDOTTED = re.compile(r"\d{2}|\d{4}|\d{6}")


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Regency:
    """A kabupaten or kota (regency or city), the level that runs an MPP Digital."""

    code: str
    name: str
    kind: RegencyKind
    province: Province

    @property
    def province_code(self) -> str:
        return self.province.code


@dataclass(frozen=True, slots=True)
class District:
    """A kecamatan; the Papua provinces call this level distrik."""

    code: str
    name: str
    regency: Regency


def dotted(code: str) -> str | None:
    """`2171` or `21.71` -> `21.71`; None when the text cannot be an area code of these levels."""
    text = str(code).strip()
    if _DOTTED.fullmatch(text):
        return text
    if _UNDOTTED.fullmatch(text):
        return ".".join(text[i : i + 2] for i in range(0, len(text), 2))
    return None


class Wilayah:
    """The three levels of one edition, indexed by dotted code."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self._provinces: dict[str, Province] = {}
        self._regencies: dict[str, Regency] = {}
        self._districts: dict[str, District] = {}
        self._districts_of: dict[str, list[District]] = {}
        # rows are sorted by code in the file, but a parent may not be assumed to come first
        pending = sorted(rows, key=lambda row: row[0].count("."))
        for code, name, level in pending:
            if level == "provinsi":
                self._provinces[code] = Province(code, name)
            elif level in ("kabupaten", "kota"):
                self._regencies[code] = Regency(code, name, level, self._provinces[code[:2]])
            elif level == "kecamatan":
                self._districts[code] = District(code, name, self._regencies[code[:5]])
                self._districts_of.setdefault(code[:5], []).append(self._districts[code])
            else:
                raise ValueError(f"area {code}: unknown level {level!r}")

    @classmethod
    def from_csv(cls, path: Path) -> Wilayah:
        with path.open(encoding="utf-8", newline="") as f:
            return cls((row["code"], row["name"], row["level"]) for row in csv.DictReader(f))

    def province(self, code: str) -> Province | None:
        return self._provinces.get(dotted(code) or "")

    def regency(self, code: str) -> Regency | None:
        return self._regencies.get(dotted(code) or "")

    def district(self, code: str) -> District | None:
        return self._districts.get(dotted(code) or "")

    def exists(self, code: str) -> bool:
        """True when `code` is a provinsi, kabupaten/kota or kecamatan of this edition."""
        key = dotted(code) or ""
        return key in self._provinces or key in self._regencies or key in self._districts

    def provinces(self) -> list[Province]:
        return sorted(self._provinces.values(), key=lambda p: p.code)

    def regencies(self, province_code: str | None = None) -> list[Regency]:
        """Every kabupaten/kota, or those of one province."""
        if province_code is None:
            return sorted(self._regencies.values(), key=lambda r: r.code)
        wanted = dotted(province_code)
        return sorted((r for r in self._regencies.values() if r.province.code == wanted), key=lambda r: r.code)

    def districts(self, regency_code: str) -> list[District]:
        return sorted(self._districts_of.get(dotted(regency_code) or "", []), key=lambda d: d.code)


@cache
def load(path: Path = DATA_FILE) -> Wilayah:
    """The edition in `path`, read once per process."""
    return Wilayah.from_csv(path)


def province(code: str) -> Province | None:
    return load().province(code)


def regency(code: str) -> Regency | None:
    return load().regency(code)


def district(code: str) -> District | None:
    return load().district(code)


def exists(code: str) -> bool:
    return load().exists(code)


def provinces() -> list[Province]:
    return load().provinces()


def regencies(province_code: str | None = None) -> list[Regency]:
    return load().regencies(province_code)


def districts(regency_code: str) -> list[District]:
    return load().districts(regency_code)
