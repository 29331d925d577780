"""Synthetic residents for the local population register: families that look real and are not.

Development, demos and tests need people to sign in as, with NIKs that pass every rule of
identity/nik.py and KK (Kartu Keluarga, family card) records to prefill adminduk forms. This
module makes them, deterministically: the same seed gives byte-identical people, and each
region is generated from its own stream, so loading one region or all 21 yields the same
people for that region, and asking for more families only appends.

Every family lives in one kecamatan of the region (taken from identity.wilayah) and has a head
(KEPALA KELUARGA), a spouse (ISTRI) and 0-4 children (ANAK), all on one KK:

- NIK: kecamatan code, birth date DDMMYY (day + 40 for women), serial;
- KK number: kecamatan code, issue date DDMMYY (on or after the youngest member's birth), serial;
- serials start at 9001 for every (kecamatan, date) prefix. No kecamatan registers thousands of
  people born on one day, so a synthetic number is very unlikely to be a real person's;
- names are put together from lists of common given names (and, for some families, a Batak
  marga); they belong to no one in particular;
- birth places are regency names as a KTP prints them ("BATAM"), mostly the home regency;
- addresses are "JL. <name> NO. <n>", RT/RW, and "KELURAHAN <word>" in a kota or
  "DESA <word>" in a kabupaten.

Ages are computed against a fixed reference date, not today, so output never changes with time.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from identity import wilayah
from identity.nik import FEMALE_DAY_OFFSET
from identity.registry_models import Resident

REFERENCE_DATE = date(2025, 1, 1)
SERIAL_BASE = 9000  # first serial handed out is 9001

MALE_GIVEN = (
    "AHMAD", "MUHAMMAD", "BUDI", "AGUS", "RUDI", "HENDRA", "DEDI", "EKO", "ANDI", "RIZKY", "FAJAR",
    "DIMAS", "BAYU", "ARIF", "IWAN", "YUSUF", "TAUFIK", "HERU", "SLAMET", "JOKO", "BAMBANG", "WAHYU",
    "IRFAN", "RAHMAT", "FIRMAN", "HADI", "ADITYA", "REZA", "GILANG", "DANI", "SURYA", "TEGUH",
    "HARIS", "IMAM", "ARDI", "YOGA", "ILHAM", "FAUZI", "ANTON", "ROBERT", "YOHANES", "MARTIN",
)
MALE_SECOND = (
    "SANTOSO", "SETIAWAN", "PRATAMA", "SAPUTRA", "HIDAYAT", "NUGROHO", "WIJAYA", "KURNIAWAN",
    "GUNAWAN", "HARTONO", "SUSANTO", "FIRMANSYAH", "RAMADHAN", "PURNOMO", "SUPRIYADI", "HAKIM",
    "MAULANA", "SYAHPUTRA", "WIBOWO", "SETIADI", "PRASETYO", "SUTRISNO", "HERMAWAN", "SAPUTRO",
    "FAUZAN", "ARDIANSYAH", "HIDAYATULLAH", "SUBAGYO", "KUSUMA", "PERMANA",
)
FEMALE_GIVEN = (
    "SITI", "SRI", "DEWI", "RINA", "ANI", "NUR", "PUTRI", "INDAH", "AYU", "FITRI", "WULAN", "RATNA",
    "YULI", "DIAN", "NOVI", "MEGA", "RIKA", "TRI", "ENDANG", "SUSI", "LINDA", "NINA", "MAYA", "NURUL",
    "DESI", "ERNA", "RATIH", "ANISA", "AISYAH", "LAILA", "YUNI", "EVI", "MARIA", "KARTIKA",
)
FEMALE_SECOND = (
    "LESTARI", "WULANDARI", "RAHAYU", "PERTIWI", "PUSPITASARI", "HANDAYANI", "SARI", "ANGGRAINI",
    "KURNIASIH", "NURHAYATI", "FITRIANI", "MAHARANI", "SAFITRI", "RAHMAWATI", "PERMATASARI",
    "SUSANTI", "YULIANTI", "AMELIA", "NOVITASARI", "KARTIKASARI", "HASANAH", "AMALIA", "UTAMI",
    "ASTUTI", "WAHYUNI", "PURWANTI", "MARLINA", "SETYANINGSIH",
)
MARGA = (
    "SIREGAR", "NASUTION", "LUBIS", "HARAHAP", "SIMANJUNTAK", "SITUMORANG", "PANJAITAN", "HUTAPEA",
    "SINAGA", "TAMBUNAN", "MANURUNG", "SIMATUPANG", "PASARIBU", "GINTING", "TARIGAN",
)
STREETS = (
    "MELATI", "MAWAR", "KENANGA", "ANGGREK", "CEMPAKA", "DAHLIA", "SUDIRMAN", "DIPONEGORO",
    "MERDEKA", "PAHLAWAN", "KARTINI", "AHMAD YANI", "GATOT SUBROTO", "IMAM BONJOL", "GAJAH MADA",
    "HASANUDDIN", "PEMUDA", "SISINGAMANGARAJA", "CUT NYAK DIEN", "KI HAJAR DEWANTARA", "MANGGA",
    "RAMBUTAN", "DURIAN", "NANGKA", "BERINGIN", "CENDANA", "FLAMBOYAN", "TERATAI",
)
VILLAGE_WORDS = (
    "SUKAMAJU", "SUKAJADI", "MEKARSARI", "SIDOMULYO", "KARANGANYAR", "TANJUNGSARI", "SUMBERSARI",
    "SIDOREJO", "MARGAMULYA", "SUKARAME", "BANJARSARI", "KEDUNGWARU", "PURWOREJO", "JATIMULYO",
    "TAMANSARI", "CIPTAMULYA", "MULYOREJO", "SETIABUDI", "BUMIAYU", "KARANGREJO",
)
RELIGIONS = (("ISLAM", 87), ("KRISTEN", 7), ("KATOLIK", 3), ("HINDU", 2), ("BUDDHA", 1))
RELIGIONS_MARGA = (("KRISTEN", 60), ("ISLAM", 30), ("KATOLIK", 10))
OCCUPATIONS = (
    ("WIRASWASTA", 20), ("KARYAWAN SWASTA", 18), ("PETANI/PEKEBUN", 12), ("PEDAGANG", 10),
    ("BURUH HARIAN LEPAS", 8), ("PEGAWAI NEGERI SIPIL", 6), ("GURU", 5), ("NELAYAN/PERIKANAN", 3),
    ("SOPIR", 3), ("KARYAWAN BUMN", 2), ("PERAWAT", 2), ("TENTARA NASIONAL INDONESIA", 1),
    ("KEPOLISIAN RI", 1), ("MEKANIK", 2), ("TUKANG JAHIT", 2),
)
CHILD_COUNTS = ((0, 1), (1, 2), (2, 3), (3, 2), (4, 1))

HEAD, SPOUSE, CHILD = "KEPALA KELUARGA", "ISTRI", "ANAK"


def _weighted(rng: random.Random, choices: Iterable[tuple[object, int]]):  # noqa: ANN202
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def _between(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _ddmmyy(day: date, offset: int = 0) -> str:
    return f"{day.day + offset:02d}{day.month:02d}{day.year % 100:02d}"


def ktp_place(regency: wilayah.Regency) -> str:
    """`Kota Batam` -> `BATAM`: the place of birth as a KTP prints it."""
    name = regency.name.removeprefix("Kabupaten ").removeprefix("Kota ")
    return name.upper()


class _Serials:
    """Next serial per 12-digit prefix (kecamatan + date), from SERIAL_BASE + 1."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def number(self, prefix: str) -> str:
        serial = self._last.get(prefix, SERIAL_BASE) + 1
        if serial > 9999:
            raise ValueError(f"too many synthetic numbers for prefix {prefix[:6]}/{prefix[6:]}; use fewer families")
        self._last[prefix] = serial
        return f"{prefix}{serial:04d}"


class _Family:
    """One KK's worth of people, drawn from the region's random stream in a fixed order."""

    def __init__(self, rng: random.Random, regency: wilayah.Regency, district: wilayah.District,
                 places: list[str], serials: _Serials) -> None:
        self.rng, self.regency, self.district, self.serials = rng, regency, district, serials
        self.code6 = district.code.replace(".", "")
        self.home = ktp_place(regency)
        self.places = places
        self.marga = rng.choice(MARGA) if rng.random() < 0.15 else None
        self.religion = _weighted(rng, RELIGIONS_MARGA if self.marga else RELIGIONS)
        self.street = f"JL. {rng.choice(STREETS)} NO. {rng.randint(1, 150)}"
        self.rt, self.rw = f"{rng.randint(1, 15):03d}", f"{rng.randint(1, 9):03d}"
        kind = "KELURAHAN" if regency.kind == "kota" else "DESA"
        self.village = f"{kind} {rng.choice(VILLAGE_WORDS)}"

    def name(self, sex: str, *, child: bool) -> str:
        rng = self.rng
        given = rng.choice(MALE_GIVEN if sex == "L" else FEMALE_GIVEN)
        if self.marga and (child or sex == "L"):
            return f"{given} {self.marga}"
        if not child and rng.random() < 0.1:
            return given  # many Indonesians of the older generation have one name only
        return f"{given} {rng.choice(MALE_SECOND if sex == 'L' else FEMALE_SECOND)}"

    def birth_place(self, *, child: bool) -> str:
        if child or self.rng.random() < 0.75:
            return self.home
        return self.rng.choice(self.places)

    def occupation(self, role: str, born: date) -> str:
        age = (REFERENCE_DATE - born).days // 365
        if role == CHILD and age < 5:
            return "BELUM/TIDAK BEKERJA"
        if role == CHILD and age < 23:
            return "PELAJAR/MAHASISWA"
        if role == SPOUSE and self.rng.random() < 0.5:
            return "MENGURUS RUMAH TANGGA"
        return _weighted(self.rng, OCCUPATIONS)

    def people(self) -> list[Resident]:
        rng = self.rng
        head_born = _between(rng, date(1955, 1, 1), date(1995, 12, 31))
        spouse_born = min(head_born + timedelta(days=rng.randint(-3 * 365, 8 * 365)), date(2000, 12, 31))
        count = _weighted(rng, CHILD_COUNTS)
        lo, hi = _years_after(spouse_born, 20), min(_years_after(spouse_born, 42), REFERENCE_DATE - timedelta(days=30))
        children = sorted(_between(rng, lo, hi) for _ in range(count))
        formed = max([_years_after(spouse_born, 20), *children])
        issued = _between(rng, max(formed, date(2006, 1, 1)), REFERENCE_DATE)
        kk = self.serials.number(self.code6 + _ddmmyy(issued))

        members = [(HEAD, "L", head_born), (SPOUSE, "P", spouse_born)]
        members += [(CHILD, rng.choice("LP"), born) for born in children]
        out = []
        for role, sex, born in members:
            child = role == CHILD
            out.append(
                Resident(
                    nik=self.serials.number(self.code6 + _ddmmyy(born, FEMALE_DAY_OFFSET if sex == "P" else 0)),
                    kk_number=kk,
                    full_name=self.name(sex, child=child),
                    sex=sex,
                    birth_place=self.birth_place(child=child),
                    birth_date=born,
                    relationship=role,
                    religion=self.religion,
                    marital_status="BELUM KAWIN" if child else "KAWIN",
                    occupation=self.occupation(role, born),
                    street=self.street,
                    rt=self.rt,
                    rw=self.rw,
                    village=self.village,
                    district_code=self.district.code,
                    regency_code=self.regency.code,
                )
            )
        return out


def _regency(code: str) -> wilayah.Regency:
    regency = wilayah.regency(code)
    if regency is None or not wilayah.districts(regency.code):
        raise ValueError(f"{code!r} is not a kabupaten/kota with kecamatan in {wilayah.EDITION}")
    return regency


def _region_residents(regency: wilayah.Regency, families: int, seed: int) -> list[Resident]:
    # a string seed is hashed with SHA-512 by `random`, independent of PYTHONHASHSEED
    rng = random.Random(f"mpp-synthetic:{seed}:{regency.code}")
    districts = wilayah.districts(regency.code)
    places = [ktp_place(r) for r in wilayah.regencies(regency.province.code)]
    serials = _Serials()
    residents: list[Resident] = []
    for _ in range(families):
        residents += _Family(rng, regency, rng.choice(districts), places, serials).people()
    return residents


def _unique_regencies(region_codes: Iterable[str]) -> list[wilayah.Regency]:
    seen: dict[str, wilayah.Regency] = {}
    for code in region_codes:
        regency = _regency(code)
        seen.setdefault(regency.code, regency)
    return list(seen.values())


def generate_residents(region_codes: list[str], families_per_region: int, seed: int = 2171) -> list[Resident]:
    """Families for each kabupaten/kota code ("21.71" or "2171"), in the order given."""
    if families_per_region < 0:
        raise ValueError("families_per_region cannot be negative")
    residents: list[Resident] = []
    for regency in _unique_regencies(region_codes):
        residents += _region_residents(regency, families_per_region, seed)
    return residents


async def load_synthetic(
    engine: AsyncEngine, region_codes: list[str], families_per_region: int = 50, *, seed: int = 2171
) -> int:
    """Insert the synthetic residents not yet in the `Resident` table; returns how many were added.

    Idempotent for one seed: a second call adds nothing, a call with more families adds only the
    new ones. (Mixing seeds in one database is not supported: their numbers can collide.)
    """
    residents = generate_residents(region_codes, families_per_region, seed)
    codes = sorted({r.regency_code for r in residents})
    async with AsyncSession(engine, expire_on_commit=False) as session:
        existing = set((await session.exec(select(Resident.nik).where(Resident.regency_code.in_(codes)))).all()) if codes else set()
        missing = [r for r in residents if r.nik not in existing]
        session.add_all(missing)
        await session.commit()
    return len(missing)


async def sample_resident(engine: AsyncEngine, region_code: str) -> Resident | None:
    """A head of family of the region (the lowest NIK), for demos and tests; None if none is loaded."""
    code = wilayah.dotted(region_code) or region_code
    async with AsyncSession(engine, expire_on_commit=False) as session:
        query = (
            select(Resident)
            .where(Resident.regency_code == code, Resident.relationship == HEAD)
            .order_by(Resident.nik)
            .limit(1)
        )
        return (await session.exec(query)).first()
