"""The local population register: verify answers match/no_match only; prefill gives the owner's KK."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from identity.errors import RegistryUnavailable
from identity.registry import LocalRegistry, PopulationRegistry, make_registry
from identity.registry_models import Resident
from identity.synthetic import generate_residents, load_synthetic, sample_resident
from server.db import make_engine
from tests.factories import run

REGION = "21.71"
FAMILIES = 5


async def ensure_resident_table(engine: AsyncEngine) -> None:
    """No-op once a migration creates `resident`; until then the test makes the table itself."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: Resident.__table__.create(c, checkfirst=True))


@pytest.fixture
def registry_url(sql_url) -> str:
    async def go() -> int:
        engine = make_engine(sql_url)
        try:
            await ensure_resident_table(engine)
            return await load_synthetic(engine, [REGION], FAMILIES)
        finally:
            await engine.dispose()

    assert run(go()) == len(generate_residents([REGION], FAMILIES))
    return sql_url


def with_registry(url: str, fn):
    async def go():
        engine = make_engine(url)
        try:
            return await fn(LocalRegistry(engine), engine)
        finally:
            await engine.dispose()

    return run(go())


@pytest.fixture(scope="module")
def people() -> list[Resident]:
    return generate_residents([REGION], FAMILIES)


@pytest.fixture(scope="module")
def head(people) -> Resident:
    return min((p for p in people if p.relationship == "KEPALA KELUARGA"), key=lambda p: p.nik)


def claims_of(person: Resident) -> dict[str, str]:
    return {"full_name": person.full_name, "birth_date": person.birth_date.isoformat(), "birth_place": person.birth_place}


def test_correct_claims_match_field_by_field(registry_url, head):
    verdicts = with_registry(registry_url, lambda reg, _: reg.verify(head.nik, claims_of(head)))
    assert verdicts == {"full_name": "match", "birth_date": "match", "birth_place": "match"}


def test_names_match_whatever_the_case_spacing_and_dots(registry_url, head):
    given, *rest = head.full_name.split()
    variants = [
        head.full_name.lower(),
        "  " + "   ".join(head.full_name.title().split()) + " ",
        f"{given}.{' '.join(rest)}",
        f"{given}, {' '.join(rest)}.",
        head.full_name[:2] + "'" + head.full_name[2:],
        head.full_name[:2] + "\u2019" + head.full_name[2:],
    ]

    async def check(reg, _):
        return [(await reg.verify(head.nik, {"full_name": v}))["full_name"] for v in variants]

    assert with_registry(registry_url, check) == ["match"] * len(variants)


def test_a_different_name_does_not_match(registry_url, head):
    wrong = [head.full_name + " X", head.full_name.replace(" ", ""), head.full_name.split()[0], "", "   "]

    async def check(reg, _):
        return [(await reg.verify(head.nik, {"full_name": w}))["full_name"] for w in wrong]

    assert with_registry(registry_url, check) == ["no_match"] * len(wrong)


def test_a_wrong_birth_date_is_a_no_match_on_that_field_only(registry_url, head):
    claims = claims_of(head) | {"birth_date": head.birth_date.replace(day=1 if head.birth_date.day != 1 else 2).isoformat()}
    verdicts = with_registry(registry_url, lambda reg, _: reg.verify(head.nik, claims))
    assert verdicts == {"full_name": "match", "birth_date": "no_match", "birth_place": "match"}


def test_a_birth_date_that_is_not_an_iso_date_is_a_no_match(registry_url, head):
    dmy = head.birth_date.strftime("%d-%m-%Y")
    verdicts = with_registry(registry_url, lambda reg, _: reg.verify(head.nik, {"birth_date": dmy}))
    assert verdicts == {"birth_date": "no_match"}


def test_birth_place_matches_regardless_of_case(registry_url, head):
    verdicts = with_registry(registry_url, lambda reg, _: reg.verify(head.nik, {"birth_place": head.birth_place.lower()}))
    assert verdicts == {"birth_place": "match"}


@pytest.mark.parametrize("nik", ["2171019901019999", "2171", "not a nik", ""])
def test_an_unknown_nik_answers_no_match_for_every_claim_with_the_same_keys(registry_url, head, nik):
    claims = claims_of(head)

    async def both(reg, _):
        return await reg.verify(head.nik, claims | {"birth_date": "1900-01-01"}), await reg.verify(nik, claims)

    known_wrong, unknown = with_registry(registry_url, both)
    assert unknown == {"full_name": "no_match", "birth_date": "no_match", "birth_place": "no_match"}
    assert list(unknown) == list(known_wrong) == list(claims)
    assert with_registry(registry_url, lambda reg, _: reg.verify(nik, {"birth_place": head.birth_place})) == {
        "birth_place": "no_match"
    }


def test_a_nik_typed_with_spaces_is_the_same_nik(registry_url, head):
    spaced = " ".join(head.nik[i : i + 4] for i in range(0, 16, 4))
    verdicts = with_registry(registry_url, lambda reg, _: reg.verify(spaced, {"full_name": head.full_name}))
    assert verdicts == {"full_name": "match"}


@pytest.mark.parametrize("claims", [{}, {"mother_name": "SITI"}, {"full_name": "A", "kk_number": "1"}])
def test_asking_for_nothing_or_a_field_the_register_does_not_check_is_a_programming_error(registry_url, head, claims):
    with pytest.raises(ValueError):
        with_registry(registry_url, lambda reg, _: reg.verify(head.nik, claims))


def test_prefill_returns_the_owners_record_address_and_family(registry_url, head, people):
    data = with_registry(registry_url, lambda reg, _: reg.prefill(head.nik))
    assert {k: data[k] for k in ("nik", "full_name", "sex", "birth_place", "kk_number", "relationship")} == {
        "nik": head.nik,
        "full_name": head.full_name,
        "sex": "L",
        "birth_place": head.birth_place,
        "kk_number": head.kk_number,
        "relationship": "KEPALA KELUARGA",
    }
    assert data["birth_date"] == head.birth_date.isoformat()
    assert data["religion"] == head.religion and data["marital_status"] == "KAWIN" and data["occupation"]
    address = data["address"]
    assert address["street"] == head.street and (address["rt"], address["rw"]) == (head.rt, head.rw)
    assert address["district_code"] == head.district_code and address["district_name"]
    assert (address["regency_code"], address["regency_name"], address["province_name"]) == (
        "21.71",
        "Kota Batam",
        "Kepulauan Riau",
    )
    members = [p for p in people if p.kk_number == head.kk_number]
    assert {(m["nik"], m["full_name"], m["relationship"]) for m in data["family"]} == {
        (m.nik, m.full_name, m.relationship) for m in members
    }
    assert [m["relationship"] for m in data["family"]][:2] == ["KEPALA KELUARGA", "ISTRI"]
    assert all(set(m) == {"nik", "full_name", "relationship"} for m in data["family"])


def test_prefill_of_a_family_member_lists_the_same_kk(registry_url, head, people):
    child_or_spouse = next(p for p in people if p.kk_number == head.kk_number and p.nik != head.nik)

    async def both(reg, _):
        return await reg.prefill(head.nik), await reg.prefill(child_or_spouse.nik)

    of_head, of_member = with_registry(registry_url, both)
    assert of_member["nik"] == child_or_spouse.nik and of_member["family"] == of_head["family"]


@pytest.mark.parametrize("nik", ["2171019901019999", "123", ""])
def test_prefill_of_an_unknown_nik_is_none(registry_url, nik):
    assert with_registry(registry_url, lambda reg, _: reg.prefill(nik)) is None


def test_loading_again_adds_nothing_and_more_families_add_only_the_new(registry_url):
    async def load(_, engine):
        return await load_synthetic(engine, [REGION], FAMILIES), await load_synthetic(engine, [REGION], FAMILIES + 2)

    again, more = with_registry(registry_url, load)
    assert again == 0
    assert more == len(generate_residents([REGION], FAMILIES + 2)) - len(generate_residents([REGION], FAMILIES))


def test_sample_resident_is_a_head_of_family_of_the_region(registry_url, head):
    async def sample(_, engine):
        return await sample_resident(engine, REGION), await sample_resident(engine, "3302")

    found, elsewhere = with_registry(registry_url, sample)
    assert found.nik == head.nik and found.relationship == "KEPALA KELUARGA"
    assert elsewhere is None


def test_a_register_that_cannot_be_read_is_unavailable_not_a_no_match(sql_url, head):
    """Without the table (as on a database nobody loaded), the answer is 'try later', never a verdict."""

    async def go(reg, engine):
        async with engine.begin() as conn:
            await conn.run_sync(lambda c: Resident.__table__.drop(c, checkfirst=True))
        with pytest.raises(RegistryUnavailable) as verify_error:
            await reg.verify(head.nik, claims_of(head))
        with pytest.raises(RegistryUnavailable) as prefill_error:
            await reg.prefill(head.nik)
        return verify_error.value, prefill_error.value

    for error in with_registry(sql_url, go):
        assert error.details["adapter"] == "local"
        assert head.nik not in str(error) and head.nik not in repr(error.details)


def test_a_register_that_answers_too_slowly_is_unavailable(registry_url, head):
    async def go(_, engine):
        slow = LocalRegistry(engine, timeout=0)
        with pytest.raises(RegistryUnavailable, match="in time"):
            await slow.verify(head.nik, claims_of(head))
        with pytest.raises(RegistryUnavailable, match="in time"):
            await slow.prefill(head.nik)

    with_registry(registry_url, go)


def test_the_adapter_is_chosen_by_name(sql_url):
    engine = make_engine(sql_url)
    try:
        local = make_registry("local", engine)
        assert isinstance(local, LocalRegistry) and isinstance(local, PopulationRegistry)
        with pytest.raises(ValueError, match="REGISTRY.md"):
            make_registry("dukcapil", engine)
        with pytest.raises(ValueError, match="'local' or 'dukcapil'"):
            make_registry("ldap", engine)
    finally:
        run(engine.dispose())
