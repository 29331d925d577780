"""Synthetic residents: deterministic families whose NIK and KK numbers pass every rule."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from identity import wilayah
from identity.nik import validate_kk, validate_nik
from identity.synthetic import REFERENCE_DATE, generate_residents

PILOTS = [
    r["code"]
    for r in json.loads(
        (Path(__file__).resolve().parents[2] / "server" / "catalog" / "data" / "pilot-regions.json").read_text("utf-8")
    )["regions"]
]


@pytest.fixture(scope="module")
def residents():
    return generate_residents(PILOTS, 50)


def dump(people) -> bytes:
    return json.dumps([p.model_dump(mode="json") for p in people], sort_keys=True).encode()


def test_the_same_seed_gives_byte_identical_people(residents):
    assert dump(generate_residents(PILOTS, 50)) == dump(residents)


def test_another_seed_gives_other_people(residents):
    assert dump(generate_residents(PILOTS, 50, seed=7)) != dump(residents)


def test_a_region_gets_the_same_people_alone_or_among_others(residents):
    alone = generate_residents(["33.02"], 50)
    assert dump(alone) == dump([p for p in residents if p.regency_code == "33.02"])
    assert dump(generate_residents(["3302"], 50)) == dump(alone)


def test_more_families_only_append(residents):
    more = generate_residents(["21.71"], 60)
    fifty = [p for p in residents if p.regency_code == "21.71"]
    assert dump(more[: len(fifty)]) == dump(fifty) and len(more) > len(fifty)


def test_fifty_families_in_each_of_the_21_pilot_regions_make_a_few_thousand_people(residents):
    families = {p.kk_number for p in residents}
    assert len(PILOTS) == 21 and len(families) == 21 * 50
    assert 2 * 21 * 50 <= len(residents) <= 6 * 21 * 50
    per_region = Counter(p.regency_code for p in residents if p.relationship == "KEPALA KELUARGA")
    assert per_region == {code: 50 for code in PILOTS}


def test_every_nik_is_valid_and_agrees_with_birth_date_and_sex(residents):
    assert len({p.nik for p in residents}) == len(residents)
    for p in residents:
        result = validate_nik(p.nik, claimed_birth_date=p.birth_date, claimed_sex=p.sex)
        assert (result.errors, result.warnings) == ([], []), p.nik
        assert result.birth_date == p.birth_date and result.sex == p.sex
        assert result.region_code == p.district_code
        # read without the claim, the two-digit year still lands in the right century
        assert validate_nik(p.nik, today=REFERENCE_DATE).birth_date == p.birth_date


def test_women_carry_their_birth_day_plus_40(residents):
    women = [p for p in residents if p.sex == "P"]
    men = [p for p in residents if p.sex == "L"]
    assert women and men
    assert all(int(p.nik[6:8]) == p.birth_date.day + 40 for p in women)
    assert all(int(p.nik[6:8]) == p.birth_date.day for p in men)


def test_every_kk_number_is_valid_and_issued_after_its_youngest_member(residents):
    for kk, members in families_of(residents).items():
        result = validate_kk(kk)
        assert (result.errors, result.warnings) == ([], []), kk
        assert max(m.birth_date for m in members) <= result.issue_date <= REFERENCE_DATE


def families_of(residents):
    families = defaultdict(list)
    for p in residents:
        families[p.kk_number].append(p)
    return families


def test_a_family_shares_its_kk_address_and_kecamatan(residents):
    for kk, members in families_of(residents).items():
        roles = Counter(m.relationship for m in members)
        assert roles["KEPALA KELUARGA"] == 1 and roles["ISTRI"] == 1 and 0 <= roles["ANAK"] <= 4
        assert len(members) == 2 + roles["ANAK"]
        assert len({(m.street, m.rt, m.rw, m.village, m.district_code) for m in members}) == 1
        assert all(m.nik[:6] == kk[:6] == m.district_code.replace(".", "") for m in members)
        head = next(m for m in members if m.relationship == "KEPALA KELUARGA")
        spouse = next(m for m in members if m.relationship == "ISTRI")
        assert (head.sex, spouse.sex) == ("L", "P")
        assert all(m.birth_date > spouse.birth_date for m in members if m.relationship == "ANAK")


def test_children_counts_range_from_none_to_four(residents):
    counts = Counter(sum(m.relationship == "ANAK" for m in ms) for ms in families_of(residents).values())
    assert set(counts) == {0, 1, 2, 3, 4}


def test_kecamatan_and_places_come_from_the_wilayah_list(residents):
    for p in residents:
        district = wilayah.district(p.district_code)
        assert district is not None and district.regency.code == p.regency_code
        assert p.birth_place and p.birth_place == p.birth_place.upper()
    batam = [p for p in residents if p.regency_code == "21.71"]
    assert {p.birth_place for p in batam if p.relationship == "ANAK"} == {"BATAM"}
    assert all(p.village.startswith("KELURAHAN ") for p in batam)  # a kota has kelurahan
    assert all(p.village.startswith("DESA ") for p in residents if p.regency_code == "33.02")


def test_people_look_like_a_kk_row(residents):
    for p in residents:
        assert p.full_name == p.full_name.upper() and 2 <= len(p.full_name) <= 200
        assert p.street.startswith("JL. ") and " NO. " in p.street
        assert len(p.rt) == len(p.rw) == 3 and p.rt.isdigit() and p.rw.isdigit()
        assert p.marital_status == ("BELUM KAWIN" if p.relationship == "ANAK" else "KAWIN")
        assert date(1940, 1, 1) < p.birth_date < REFERENCE_DATE


def test_serials_start_at_9001_so_numbers_stay_clear_of_real_ones(residents):
    assert min(int(p.nik[12:]) for p in residents) == 9001
    assert all(int(p.nik[12:]) > 9000 and int(p.kk_number[12:]) > 9000 for p in residents)


@pytest.mark.parametrize("code", ["99.99", "21", "21.71.01", "batam"])
def test_an_unknown_or_non_regency_code_is_refused(code):
    with pytest.raises(ValueError, match="kabupaten/kota"):
        generate_residents([code], 1)
