"""The project's copy of the Kemendagri area codes: complete, current, and agreeing with the pilot list."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from identity import wilayah as identity_wilayah
from server.catalog import wilayah

DATA = Path(__file__).resolve().parents[2] / "server" / "catalog" / "data"
PILOTS = json.loads((DATA / "pilot-regions.json").read_text(encoding="utf-8"))["regions"]

# Kepmendagri No. 300.2.2-2138 Tahun 2025: 38 provinsi, 416 kabupaten, 98 kota, 7,285 kecamatan.
PROVINCES, KABUPATEN, KOTA, KECAMATAN = 38, 416, 98, 7285


def test_the_edition_has_38_provinces():
    assert len(wilayah.provinces()) == PROVINCES


def test_the_edition_has_514_kabupaten_and_kota():
    kinds = [r.kind for r in wilayah.regencies()]
    assert len(kinds) == KABUPATEN + KOTA == 514
    assert kinds.count("kabupaten") == KABUPATEN
    assert kinds.count("kota") == KOTA


def test_the_edition_has_every_kecamatan_of_the_source():
    assert sum(len(wilayah.districts(r.code)) for r in wilayah.regencies()) == KECAMATAN


def test_every_kabupaten_and_kota_has_at_least_one_kecamatan():
    assert [r.code for r in wilayah.regencies() if not wilayah.districts(r.code)] == []


def test_the_data_file_is_sorted_unique_and_in_dotted_form():
    with (DATA / "wilayah.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    codes = [row["code"] for row in rows]
    assert codes == sorted(set(codes))
    assert all(wilayah.dotted(code) == code for code in codes)
    assert {row["level"] for row in rows} == {"provinsi", "kabupaten", "kota", "kecamatan"}


@pytest.mark.parametrize("pilot", PILOTS, ids=[p["code"] for p in PILOTS])
def test_each_pilot_region_exists_with_the_same_name(pilot):
    regency = wilayah.regency(pilot["code"])
    assert regency is not None
    assert regency.name == pilot["name"]


def test_there_are_21_pilot_regions():
    assert len(PILOTS) == 21


@pytest.mark.parametrize(
    ("code", "name", "kind", "province"),
    [
        ("21.71", "Kota Batam", "kota", "Kepulauan Riau"),
        ("33.02", "Kabupaten Banyumas", "kabupaten", "Jawa Tengah"),
        ("11.71", "Kota Banda Aceh", "kota", "Aceh"),
        ("31.01", "Kabupaten Administrasi Kepulauan Seribu", "kabupaten", "Daerah Khusus Ibukota Jakarta"),
        ("96.71", "Kota Sorong", "kota", "Papua Barat Daya"),
    ],
)
def test_known_kabupaten_and_kota(code, name, kind, province):
    regency = wilayah.regency(code)
    assert (regency.name, regency.kind, regency.province.name) == (name, kind, province)
    assert regency.province_code == code[:2]


def test_known_kecamatan_belongs_to_its_kabupaten_or_kota():
    district = wilayah.district("21.71.01")
    assert district.name == "Belakang Padang"
    assert district.regency.name == "Kota Batam"


def test_lookups_take_the_undotted_form_a_nik_carries():
    assert wilayah.regency("2171") == wilayah.regency("21.71")
    assert wilayah.district("217101").code == "21.71.01"
    assert wilayah.province("21").name == "Kepulauan Riau"
    assert wilayah.exists("217101") and wilayah.exists(" 21.71 ")


def test_each_lookup_answers_only_for_its_own_level():
    assert wilayah.province("21.71") is None
    assert wilayah.regency("21") is None
    assert wilayah.district("21.71") is None


@pytest.mark.parametrize("code", ["", "2", "21.7", "21.71.0", "2171011", "21-71", "ab", "99", "91.01", "21.71.99"])
def test_unknown_or_malformed_codes_do_not_exist(code):
    assert not wilayah.exists(code)
    assert wilayah.regency(code) is None


def test_a_code_retired_by_pemekaran_is_gone_and_its_successor_is_there():
    assert not wilayah.exists("91.01")
    assert wilayah.regency("93.01").name == "Kabupaten Merauke"


def test_regencies_of_one_province():
    riau_islands = wilayah.regencies("21")
    assert [r.code for r in riau_islands] == ["21.01", "21.02", "21.03", "21.04", "21.05", "21.71", "21.72"]
    assert wilayah.regencies("99") == [] and wilayah.regencies("not a code") == []


def test_the_data_is_read_once():
    assert wilayah.load() is wilayah.load()


def test_the_catalog_and_identity_share_one_loader():
    assert wilayah.load is identity_wilayah.load
    assert wilayah.DATA_FILE == DATA / "wilayah.csv"
