"""The population-registry adapter: "does this NIK go with this name and birth date?"

Basic identity assurance (DESIGN.md) is a NIK plus data that match the population register kept
by Dukcapil (Direktorat Jenderal Kependudukan dan Pencatatan Sipil). Regions reach the national
register through a partner agreement, so the app talks to it through one small interface,
`PopulationRegistry`, and the deployment chooses the adapter. identity/REGISTRY.md is the
contract a production adapter must honour; `LocalRegistry` here is the default for development,
demos and tests, answering from the `Resident` table of synthetic people.

Two questions only:

- `verify(nik, claims)`: per claimed field, "match" or "no_match". It never returns the record,
  and an unknown NIK gives "no_match" for every claim with the same keys, so a caller cannot
  tell "no such NIK" from "the data does not match" (no probing for which NIKs exist).
- `prefill(nik)`: the person's own data to fill their forms, and the members of their Kartu
  Keluarga (KK, family card) for adminduk forms. Callers ask it only for the NIK of the
  signed-in person, after `verify`; it is never an open look-up.

Matching rules, the same for every adapter (`normalize_name`):

- case does not matter, and runs of whitespace count as one space ("budi  santoso" matches
  "BUDI SANTOSO");
- "." and "," separate like a space ("MUH.RIZKI" matches "MUH RIZKI", "Budi S." matches
  "BUDI S");
- apostrophes are dropped, including the typographic ones phone keyboards insert
  ("Nur'aini" and "Nur’aini" match "NURAINI");
- nothing else is ignored: hyphens, letters and their order must agree. Birth place follows the
  same rules; birth date is compared as a calendar date given in ISO form (YYYY-MM-DD).
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal, Protocol, runtime_checkable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity import wilayah
from identity.errors import RegistryUnavailable
from identity.registry_models import Resident

Verdict = Literal["match", "no_match"]
CLAIM_FIELDS = ("full_name", "birth_date", "birth_place")

_SEPARATORS = re.compile(r"[.,]")
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`]")
_NIK = re.compile(r"[0-9]{16}")
_RELATIONSHIP_ORDER = {"KEPALA KELUARGA": 0, "SUAMI": 1, "ISTRI": 1, "ANAK": 2}


@runtime_checkable
class PopulationRegistry(Protocol):
    """What the app may ask the population register; see identity/REGISTRY.md."""

    async def verify(self, nik: str, claims: Mapping[str, str]) -> dict[str, Verdict]:
        """Per claim ("full_name", "birth_date", "birth_place"): "match" or "no_match"."""
        ...

    async def prefill(self, nik: str) -> dict[str, Any] | None:
        """The person's own record for their forms, or None when the register has no such NIK."""
        ...


def normalize_name(text: str) -> str:
    """The form names and places are compared in (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text)
    text = _APOSTROPHES.sub("", text)
    text = _SEPARATORS.sub(" ", text)
    return " ".join(text.split()).casefold()


def normalize_nik(nik: str) -> str | None:
    """The 16 digits, spaces removed; None when it cannot be a NIK (the register would not know it)."""
    compact = "".join(unicodedata.normalize("NFKC", str(nik)).split())
    return compact if _NIK.fullmatch(compact) else None


def check_claims(claims: Mapping[str, str]) -> None:
    """A programming error, not a person's: an empty request or a field the register cannot check."""
    if not claims:
        raise ValueError(f"verify needs at least one claim of {CLAIM_FIELDS}")
    unknown = sorted(set(claims) - set(CLAIM_FIELDS))
    if unknown:
        raise ValueError(f"the register checks only {CLAIM_FIELDS}; not {unknown}")


def _same_date(claimed: object, actual: date) -> bool:
    if not isinstance(claimed, str):
        return False
    try:
        return date.fromisoformat(claimed.strip()) == actual
    except ValueError:
        return False


def _same_text(claimed: object, actual: str) -> bool:
    return isinstance(claimed, str) and normalize_name(claimed) == normalize_name(actual) != ""


def match_claims(resident: Resident | None, claims: Mapping[str, str]) -> dict[str, Verdict]:
    """Verdicts for `claims` against one record; with no record, "no_match" for each, same keys."""
    check_claims(claims)
    verdicts: dict[str, Verdict] = {}
    for field, claimed in claims.items():
        if resident is None:
            ok = False
        elif field == "birth_date":
            ok = _same_date(claimed, resident.birth_date)
        else:
            ok = _same_text(claimed, getattr(resident, field))
        verdicts[field] = "match" if ok else "no_match"
    return verdicts


def _address(resident: Resident) -> dict[str, str | None]:
    district = wilayah.district(resident.district_code)
    regency = wilayah.regency(resident.regency_code)
    return {
        "street": resident.street,
        "rt": resident.rt,
        "rw": resident.rw,
        "village": resident.village,
        "district_code": resident.district_code,
        "district_name": district.name if district else None,
        "regency_code": resident.regency_code,
        "regency_name": regency.name if regency else None,
        "province_name": regency.province.name if regency else None,
    }


def prefill_record(resident: Resident, family: list[Resident]) -> dict[str, Any]:
    """The shape `prefill` returns, for every adapter: the owner's data and their KK's members."""
    members = sorted(family, key=lambda r: (_RELATIONSHIP_ORDER.get(r.relationship, 3), r.birth_date, r.nik))
    return {
        "nik": resident.nik,
        "full_name": resident.full_name,
        "sex": resident.sex,
        "birth_place": resident.birth_place,
        "birth_date": resident.birth_date.isoformat(),
        "kk_number": resident.kk_number,
        "relationship": resident.relationship,
        "religion": resident.religion,
        "marital_status": resident.marital_status,
        "occupation": resident.occupation,
        "address": _address(resident),
        "family": [{"nik": m.nik, "full_name": m.full_name, "relationship": m.relationship} for m in members],
    }


class LocalRegistry:
    """The register as the `Resident` table of one SQL database (synthetic people only).

    Behaves as REGISTRY.md asks of a production adapter: database failures and slowness past
    `timeout` seconds become `RegistryUnavailable`, and nothing is logged.
    """

    adapter = "local"

    def __init__(self, engine: AsyncEngine, *, timeout: float = 5.0) -> None:
        self.engine = engine
        self.timeout = timeout

    async def verify(self, nik: str, claims: Mapping[str, str]) -> dict[str, Verdict]:
        check_claims(claims)
        number = normalize_nik(nik)
        resident = await self._guarded(self._get(number)) if number else None
        return match_claims(resident, claims)

    async def prefill(self, nik: str) -> dict[str, Any] | None:
        number = normalize_nik(nik)
        if number is None:
            return None
        return await self._guarded(self._prefill(number))

    async def _get(self, nik: str) -> Resident | None:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            return await session.get(Resident, nik)

    async def _prefill(self, nik: str) -> dict[str, Any] | None:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            resident = await session.get(Resident, nik)
            if resident is None:
                return None
            family = (await session.exec(select(Resident).where(Resident.kk_number == resident.kk_number))).all()
            return prefill_record(resident, list(family))

    async def _guarded(self, work):  # noqa: ANN001, ANN202
        try:
            async with asyncio.timeout(self.timeout):
                return await work
        except TimeoutError:
            raise RegistryUnavailable("The population register did not answer in time.", adapter=self.adapter) from None
        except (SQLAlchemyError, OSError) as exc:
            # the exception type only: a driver's message may quote the statement's parameters
            raise RegistryUnavailable(
                "The population register could not be read.", adapter=self.adapter, cause=type(exc).__name__
            ) from None


def make_registry(adapter: str, engine: AsyncEngine) -> PopulationRegistry:
    """The adapter named by REGISTRY_ADAPTER. Only "local" ships; see identity/REGISTRY.md."""
    if adapter == "local":
        return LocalRegistry(engine)
    if adapter == "dukcapil":
        raise ValueError(
            "REGISTRY_ADAPTER=dukcapil needs the region's adapter to the Dukcapil service, which is not "
            "part of this repository; implement it as identity/REGISTRY.md describes, or use 'local'."
        )
    raise ValueError(f"REGISTRY_ADAPTER must be 'local' or 'dukcapil', not {adapter!r}")
