"""NIK and KK number rules: what a 16-digit number can tell us before the registry is asked.

NIK (Nomor Induk Kependudukan) is the lifelong personal number on the KTP; the Nomor KK is the
number of the Kartu Keluarga (family card). Both are 16 digits:

    NIK  PP KK CC DDMMYY SSSS   kecamatan code, birth date (women: day + 40), serial
    KK   PP KK CC DDMMYY SSSS   kecamatan code, issue date (no +40), serial

(UU No. 23 Tahun 2006 Pasal 13, as amended by UU No. 24 Tahun 2013, makes the NIK lifelong;
the layout is Dukcapil's.)

These checks only catch numbers that cannot be right, so a person can fix a typo before sending;
a number that passes may still be unregistered, which only the population registry can say.
Each finding has a stable code and an Indonesian message saying what to do. Findings that a
genuine KTP can produce are warnings, never rejections:

- a kabupaten/kota or kecamatan code missing from the current edition: a NIK keeps the code it
  was issued under, and pemekaran retires codes (Kabupaten Merauke was 91.01 in Papua until
  Papua Selatan was formed in 2022; it is now 93.01);
- a birth date or sex that differs from what the person typed (the typed value may be the typo).

Province codes are never retired, so an unknown province is an error. The two-digit year is read
in the century that does not put the date in the future, so a date later this year is read as a
hundred years ago rather than rejected; a NIK is only issued after birth.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Literal, Protocol

from identity import wilayah

Sex = Literal["L", "P"]  # laki-laki, perempuan, as on the KTP

FEMALE_DAY_OFFSET = 40
_WIT = timezone(timedelta(hours=9))  # UTC+9: the latest calendar date anywhere in Indonesia
_DIGITS = re.compile(r"[0-9]*")  # ASCII only: str.isdigit() would also take Arabic-Indic digits


class RegionCodes(Protocol):
    """Anything that knows which dotted Kemendagri codes (`21`, `21.71`, `21.71.01`) exist."""

    def exists(self, code: str) -> bool: ...


MESSAGES: dict[str, dict[str, str]] = {
    "id": {
        "nik.length": "NIK harus 16 angka, yang terisi {count} angka. Periksa kembali KTP Anda.",
        "nik.digits": (
            "NIK hanya berisi angka 0-9, tanpa huruf, titik atau tanda lain. Salin NIK persis seperti "
            "di KTP Anda."
        ),
        "nik.province_unknown": (
            "Dua angka pertama NIK ({province}) bukan kode provinsi. Periksa kembali KTP Anda."
        ),
        "nik.region_zero": (
            "Angka ke-3 sampai ke-6 NIK memuat kode 00 yang tidak pernah dipakai. Periksa kembali KTP "
            "Anda."
        ),
        "nik.regency_unknown": (
            "Kode kabupaten/kota di NIK ({regency}) tidak ada di daftar wilayah terbaru. Pastikan NIK "
            "sama persis dengan KTP; jika sudah, lanjutkan: NIK dengan kode lama tetap berlaku."
        ),
        "nik.district_unknown": (
            "Kode kecamatan di NIK ({district}) tidak ada di daftar wilayah terbaru. Pastikan NIK "
            "sama persis dengan KTP; jika sudah, lanjutkan: NIK dengan kode lama tetap berlaku."
        ),
        "nik.birth_date_invalid": (
            "Angka ke-7 sampai ke-12 NIK bukan tanggal lahir yang benar. Periksa kembali KTP Anda."
        ),
        "nik.serial_zero": "Empat angka terakhir NIK tidak mungkin 0000. Periksa kembali KTP Anda.",
        "nik.birth_date_mismatch": (
            "Tanggal lahir yang Anda isi berbeda dengan tanggal lahir di NIK. Periksa keduanya; jika "
            "sudah sesuai KTP, lanjutkan dan petugas akan memeriksanya."
        ),
        "nik.sex_mismatch": (
            "Jenis kelamin yang Anda pilih berbeda dengan yang tercatat di NIK. Periksa keduanya; "
            "jika sudah sesuai KTP, lanjutkan dan petugas akan memeriksanya."
        ),
        "kk.length": (
            "Nomor KK harus 16 angka, yang terisi {count} angka. Periksa kembali Kartu Keluarga Anda."
        ),
        "kk.digits": (
            "Nomor KK hanya berisi angka 0-9, tanpa huruf, titik atau tanda lain. Salin nomor persis "
            "seperti di Kartu Keluarga Anda."
        ),
        "kk.region_unknown": (
            "Dua angka pertama Nomor KK ({province}) bukan kode provinsi. Periksa kembali Kartu "
            "Keluarga Anda."
        ),
        "kk.region_zero": (
            "Angka ke-3 sampai ke-6 Nomor KK memuat kode 00 yang tidak pernah dipakai. Periksa "
            "kembali Kartu Keluarga Anda."
        ),
        "kk.regency_unknown": (
            "Kode kabupaten/kota di Nomor KK ({regency}) tidak ada di daftar wilayah terbaru. "
            "Pastikan nomor sama persis dengan Kartu Keluarga; jika sudah, lanjutkan."
        ),
        "kk.district_unknown": (
            "Kode kecamatan di Nomor KK ({district}) tidak ada di daftar wilayah terbaru. Pastikan "
            "nomor sama persis dengan Kartu Keluarga; jika sudah, lanjutkan."
        ),
        "kk.issue_date_invalid": (
            "Angka ke-7 sampai ke-12 Nomor KK bukan tanggal yang benar. Periksa kembali Kartu "
            "Keluarga Anda."
        ),
        "kk.serial_zero": (
            "Empat angka terakhir Nomor KK tidak mungkin 0000. Periksa kembali Kartu Keluarga Anda."
        ),
    },
    "en": {
        "nik.length": "A NIK has 16 digits; {count} were entered. Check your KTP again.",
        "nik.digits": (
            "A NIK holds only the digits 0-9, no letters, dots or other marks. Copy it exactly as on "
            "your KTP."
        ),
        "nik.province_unknown": (
            "The first two digits of the NIK ({province}) are not a province code. Check your KTP "
            "again."
        ),
        "nik.region_zero": (
            "Digits 3 to 6 of the NIK contain the code 00, which is never used. Check your KTP again."
        ),
        "nik.regency_unknown": (
            "The regency/city code in the NIK ({regency}) is not in the current list of areas. Make "
            "sure the NIK matches your KTP; if it does, carry on: NIKs with old codes remain valid."
        ),
        "nik.district_unknown": (
            "The district code in the NIK ({district}) is not in the current list of areas. Make sure "
            "the NIK matches your KTP; if it does, carry on: NIKs with old codes remain valid."
        ),
        "nik.birth_date_invalid": (
            "Digits 7 to 12 of the NIK are not a valid birth date. Check your KTP again."
        ),
        "nik.serial_zero": "The last four digits of a NIK cannot be 0000. Check your KTP again.",
        "nik.birth_date_mismatch": (
            "The birth date you entered differs from the one in the NIK. Check both; if they match "
            "your KTP, carry on and an officer will check."
        ),
        "nik.sex_mismatch": (
            "The sex you chose differs from the one recorded in the NIK. Check both; if they match "
            "your KTP, carry on and an officer will check."
        ),
        "kk.length": (
            "A family card number has 16 digits; {count} were entered. Check your Kartu Keluarga "
            "again."
        ),
        "kk.digits": (
            "A family card number holds only the digits 0-9, no letters, dots or other marks. Copy it "
            "exactly as on your Kartu Keluarga."
        ),
        "kk.region_unknown": (
            "The first two digits of the family card number ({province}) are not a province code. "
            "Check your Kartu Keluarga again."
        ),
        "kk.region_zero": (
            "Digits 3 to 6 of the family card number contain the code 00, which is never used. Check "
            "your Kartu Keluarga again."
        ),
        "kk.regency_unknown": (
            "The regency/city code in the family card number ({regency}) is not in the current list "
            "of areas. Make sure the number matches your Kartu Keluarga; if it does, carry on."
        ),
        "kk.district_unknown": (
            "The district code in the family card number ({district}) is not in the current list of "
            "areas. Make sure the number matches your Kartu Keluarga; if it does, carry on."
        ),
        "kk.issue_date_invalid": (
            "Digits 7 to 12 of the family card number are not a valid date. Check your Kartu Keluarga "
            "again."
        ),
        "kk.serial_zero": (
            "The last four digits of a family card number cannot be 0000. Check your Kartu Keluarga "
            "again."
        ),
    },
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: a stable code, the Indonesian message, and the values it was filled with.

    `params` never hold the number itself or the birth date, only area codes and counts, so a
    Problem is safe to log and to return in an error's `details`.
    """

    code: str
    message: str
    params: dict[str, str | int] = field(default_factory=dict)

    def text(self, lang: str = "id") -> str:
        return MESSAGES.get(lang, MESSAGES["id"]).get(self.code, self.message).format(**self.params)


def _problem(code: str, **params: str | int) -> Problem:
    return Problem(code, MESSAGES["id"][code].format(**params), params)


@dataclass(frozen=True, slots=True)
class NikResult:
    ok: bool
    errors: list[Problem]
    warnings: list[Problem]
    sex: Sex | None
    birth_date: date | None
    region_code: str | None  # the kecamatan code the NIK carries, dotted: "21.71.01"
    nik: str | None = field(default=None, repr=False)  # the 16 digits once they are 16 digits


@dataclass(frozen=True, slots=True)
class KkResult:
    ok: bool
    errors: list[Problem]
    warnings: list[Problem]
    issue_date: date | None
    region_code: str | None
    kk: str | None = field(default=None, repr=False)


def _default_today() -> date:
    return datetime.now(_WIT).date()


def _digits_of(text: str, kind: str) -> tuple[str | None, list[Problem]]:
    """Spaces are dropped (people copy "3171 0112 ..."); anything else but 0-9 is refused.

    One message at a time: a stray letter or dot is reported before the count of digits.
    """
    compact = "".join(unicodedata.normalize("NFKC", str(text)).split())
    if not _DIGITS.fullmatch(compact):
        return None, [_problem(f"{kind}.digits")]
    if len(compact) != 16:
        return None, [_problem(f"{kind}.length", count=len(compact))]
    return compact, []


def _kecamatan_code(number: str) -> str:
    return f"{number[0:2]}.{number[2:4]}.{number[4:6]}"


def _region_problems(number: str, kind: str, regions: RegionCodes) -> tuple[list[Problem], list[Problem]]:
    province, regency, district = number[0:2], f"{number[0:2]}.{number[2:4]}", _kecamatan_code(number)
    if not regions.exists(province):
        code = "nik.province_unknown" if kind == "nik" else "kk.region_unknown"
        return [_problem(code, province=province)], []
    if number[2:4] == "00" or number[4:6] == "00":
        return [_problem(f"{kind}.region_zero")], []
    if not regions.exists(regency):
        return [], [_problem(f"{kind}.regency_unknown", regency=regency)]
    if not regions.exists(district):
        return [], [_problem(f"{kind}.district_unknown", district=district)]
    return [], []


def _read_date(day: int, month: int, yy: int, today: date) -> date | None:
    """DDMMYY in the century that keeps it on or before `today` (a NIK follows the birth)."""
    for century in (2000, 1900):
        try:
            candidate = date(century + yy, month, day)
        except ValueError:
            # Feb 29 can exist in one century and not the other (2000 vs 1900)
            continue
        if candidate <= today:
            return candidate
    return None


def _century_from_claim(day: int, month: int, yy: int, claimed: date | None, today: date) -> date | None:
    """A typed birth date with the same DDMMYY settles the century the NIK cannot show."""
    if claimed and (claimed.day, claimed.month, claimed.year % 100) == (day, month, yy) and claimed <= today:
        return claimed
    return None


def validate_nik(
    nik: str,
    *,
    today: date | None = None,
    claimed_birth_date: date | None = None,
    claimed_sex: str | None = None,
    regions: RegionCodes | None = None,
) -> NikResult:
    """Check a NIK's shape, area code, birth date and serial; compare with what the person typed.

    `claimed_sex` is "L" or "P" as on the KTP. `regions` defaults to the project's Kemendagri list.
    """
    if claimed_sex is not None and claimed_sex.strip().upper() not in ("L", "P"):
        raise ValueError(f"claimed_sex must be 'L' or 'P', not {claimed_sex!r}")
    today = today or _default_today()
    number, problems = _digits_of(nik, "nik")
    if number is None:
        return NikResult(False, problems, [], None, None, None)

    errors, warnings = _region_problems(number, "nik", wilayah.load() if regions is None else regions)
    region_code = _kecamatan_code(number)

    dd, month, yy = int(number[6:8]), int(number[8:10]), int(number[10:12])
    sex: Sex | None = "P" if dd > FEMALE_DAY_OFFSET else "L"
    day = dd - FEMALE_DAY_OFFSET if sex == "P" else dd
    birth_date = _century_from_claim(day, month, yy, claimed_birth_date, today)
    birth_date = birth_date or _read_date(day, month, yy, today)
    if birth_date is None:
        errors.append(_problem("nik.birth_date_invalid"))
        sex = None  # with the date wrong, the +40 cannot be trusted either

    if number[12:16] == "0000":
        errors.append(_problem("nik.serial_zero"))

    if birth_date and claimed_birth_date and claimed_birth_date != birth_date:
        warnings.append(_problem("nik.birth_date_mismatch"))
    if sex and claimed_sex and claimed_sex.strip().upper() != sex:
        warnings.append(_problem("nik.sex_mismatch"))

    return NikResult(not errors, errors, warnings, sex, birth_date, region_code, number)


def validate_kk(kk: str, *, today: date | None = None, regions: RegionCodes | None = None) -> KkResult:
    """Check a Nomor KK's shape, area code, issue date and serial."""
    today = today or _default_today()
    number, problems = _digits_of(kk, "kk")
    if number is None:
        return KkResult(False, problems, [], None, None)

    errors, warnings = _region_problems(number, "kk", wilayah.load() if regions is None else regions)
    issue_date = _read_date(int(number[6:8]), int(number[8:10]), int(number[10:12]), today)
    if issue_date is None:
        errors.append(_problem("kk.issue_date_invalid"))
    if number[12:16] == "0000":
        errors.append(_problem("kk.serial_zero"))
    region_code = _kecamatan_code(number)
    return KkResult(not errors, errors, warnings, issue_date, region_code, number)


def mask_nik(number: str) -> str:
    """`3171011203990001` -> `************0001`: logs and screens show at most the last four digits."""
    compact = "".join(str(number).split())
    if len(compact) <= 8:
        return "*" * len(compact)
    return "*" * (len(compact) - 4) + compact[-4:]


mask_kk = mask_nik
