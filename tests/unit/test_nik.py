"""NIK and KK rules: the shared vectors in tests/vectors/nik.json, then what vectors cannot show.

Every number here is made up: real area prefixes with serials from 9900 up, which a kecamatan
does not reach in one day.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from identity.nik import MESSAGES, KkResult, mask_kk, mask_nik, validate_kk, validate_nik

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "nik.json").read_text(encoding="utf-8"))
TODAY = date(2025, 11, 23)


def optional_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@pytest.mark.parametrize("vector", VECTORS, ids=[v["case"] for v in VECTORS])
def test_nik_vector_gets_the_verdict_written_beside_it(vector):
    result = validate_nik(
        vector["nik"],
        today=date.fromisoformat(vector["today"]),
        claimed_birth_date=optional_date(vector.get("claimed_birth_date")),
        claimed_sex=vector.get("claimed_sex"),
    )
    assert [p.code for p in result.errors] == vector["errors"]
    assert [p.code for p in result.warnings] == vector["warnings"]
    assert result.ok is vector["ok"]
    assert result.sex == vector["sex"]
    assert result.birth_date == optional_date(vector["birth_date"])
    if "region_code" in vector:
        assert result.region_code == vector["region_code"]


def test_vectors_cover_every_nik_code():
    seen = {code for v in VECTORS for code in v["errors"] + v["warnings"]}
    assert seen == {code for code in MESSAGES["id"] if code.startswith("nik.")}


class KnowsNothing:
    def exists(self, code: str) -> bool:
        return False


class KnowsOneKecamatan:
    def exists(self, code: str) -> bool:
        return code in {"99", "99.01", "99.01.01"}


def test_area_lookup_can_be_replaced_by_any_object_with_exists():
    assert [p.code for p in validate_nik("2171011503909901", today=TODAY, regions=KnowsNothing()).errors] == [
        "nik.province_unknown"
    ]
    result = validate_nik("9901011503909901", today=TODAY, regions=KnowsOneKecamatan())
    assert result.ok and result.region_code == "99.01.01"


def test_area_lookup_is_asked_with_dotted_codes():
    asked: list[str] = []

    class Recorder:
        def exists(self, code: str) -> bool:
            asked.append(code)
            return True

    validate_nik("2171011503909901", today=TODAY, regions=Recorder())
    assert asked == ["21", "21.71", "21.71.01"]


def test_every_message_tells_the_person_what_to_do_in_indonesian_and_english():
    assert set(MESSAGES["id"]) == set(MESSAGES["en"])
    for code, text in MESSAGES["id"].items():
        assert "Periksa" in text or "Salin" in text or "Pastikan" in text, code


def test_a_problem_renders_in_english_with_the_same_values():
    problem = validate_nik("9971011503909919", today=TODAY).errors[0]
    assert problem.message == "Dua angka pertama NIK (99) bukan kode provinsi. Periksa kembali KTP Anda."
    assert problem.text("en") == (
        "The first two digits of the NIK (99) are not a province code. Check your KTP again."
    )
    assert problem.text("fr") == problem.message


def test_the_length_message_says_how_many_digits_were_typed():
    assert validate_nik("217101150390992", today=TODAY).errors[0].message.startswith(
        "NIK harus 16 angka, yang terisi 15 angka."
    )


def test_problems_and_results_never_carry_the_number_or_birth_date_where_logs_see_them():
    nik = "3302115503909902"
    result = validate_nik(nik, today=TODAY, claimed_birth_date=date(1991, 3, 15), claimed_sex="L")
    assert result.nik == nik
    assert nik not in repr(result)
    for problem in result.errors + result.warnings:
        assert nik not in repr(problem) and "150390" not in repr(problem) and "550390" not in repr(problem)


def test_a_claimed_sex_other_than_l_or_p_is_a_programming_error():
    with pytest.raises(ValueError):
        validate_nik("2171011503909901", today=TODAY, claimed_sex="M")


def test_without_today_the_check_uses_the_current_date():
    def nik_born(day: date) -> str:
        return f"217101{day:%d%m%y}9901"

    now = date.today()
    assert validate_nik(nik_born(now - timedelta(days=2))).birth_date == now - timedelta(days=2)
    in_two_days = now + timedelta(days=2)
    assert validate_nik(nik_born(in_two_days)).birth_date.year == in_two_days.year - 100


def test_mask_shows_only_the_last_four_digits():
    assert mask_nik("2171011503909901") == "************9901"
    assert mask_nik("2171 0115 0390 9901") == "************9901"
    assert mask_kk("2171012001159901") == "************9901"


def test_mask_hides_short_input_entirely():
    assert mask_nik("12345678") == "********"
    assert mask_nik("") == ""


def kk_codes(result: KkResult) -> tuple[list[str], list[str]]:
    return [p.code for p in result.errors], [p.code for p in result.warnings]


def test_a_kk_number_gives_its_issue_date_and_kecamatan():
    result = validate_kk("3302112001159901", today=TODAY)
    assert result.ok and kk_codes(result) == ([], [])
    assert result.issue_date == date(2015, 1, 20)
    assert result.region_code == "33.02.11"
    assert result.kk == "3302112001159901"


def test_a_kk_issue_date_has_no_plus_forty():
    result = validate_kk("3302116001159901", today=TODAY)
    assert kk_codes(result) == (["kk.issue_date_invalid"], [])
    assert result.issue_date is None


def test_a_kk_with_impossible_date_or_zero_serial_is_refused():
    result = validate_kk("3302113102150000", today=TODAY)
    assert kk_codes(result) == (["kk.issue_date_invalid", "kk.serial_zero"], [])


def test_a_kk_issue_date_later_this_year_is_read_as_last_century():
    assert validate_kk("3302111512259901", today=TODAY).issue_date == date(1925, 12, 15)


@pytest.mark.parametrize(
    ("number", "errors"),
    [
        ("330211200115990", ["kk.length"]),
        ("33021120011599011", ["kk.length"]),
        ("3302 1120 0115 9901", []),
        ("3302.1120.0115.9901", ["kk.digits"]),
        ("33021120011599O1", ["kk.digits"]),
        ("9902112001159901", ["kk.region_unknown"]),
        ("3300112001159901", ["kk.region_zero"]),
    ],
)
def test_kk_shape_and_area_errors(number, errors):
    assert kk_codes(validate_kk(number, today=TODAY))[0] == errors


def test_a_kk_with_a_retired_or_unknown_area_code_is_only_warned_about():
    assert kk_codes(validate_kk("9101012001159901", today=TODAY)) == ([], ["kk.regency_unknown"])
    assert kk_codes(validate_kk("3302992001159901", today=TODAY)) == ([], ["kk.district_unknown"])
    assert validate_kk("3302992001159901", today=TODAY).ok
