"""The `applicant` block of a draft: what a device may write, while filling in and once submitted."""

from __future__ import annotations

from sync.applicants import CHECK_ALPHABET, new_check_code
from sync.drafts import applicant_problem, is_assisted

NOW = "2026-03-02T01:00:00.000Z"
PHOTO = {"sha256": "a" * 64, "size": 1200, "mime": "image/jpeg", "field": "_ktp"}


def person(**override) -> dict:
    return {"kind": "assisted", "nik": "2171015505900001", "name": "SITI AMINAH", "birth_date": "1990-05-15",
            "identity_check": {"ktp_seen": True, "at": NOW, "place": "Balai Desa Sukamaju", "photo": PHOTO},
            "consent": {"given": True, "text_version": "persetujuan-v1", "at": NOW, "signature": None}, **override}


def test_ones_own_draft_needs_nothing_more_than_its_kind():
    assert applicant_problem(None, submitted=True) is None
    assert applicant_problem({"kind": "self"}, submitted=True) is None
    assert applicant_problem({"kind": "self", "nik": "2171015505900001"}, submitted=True) == "applicant"
    assert applicant_problem({"kind": "wakil"}, submitted=False) == "applicant.kind"


def test_a_complete_assisted_applicant_is_accepted_and_is_assisted():
    assert applicant_problem(person(), submitted=True) is None
    assert is_assisted({"applicant": person()}) and not is_assisted({"applicant": {"kind": "self"}})


def test_a_submitted_assisted_draft_must_be_complete():
    cases = {
        "applicant.nik": person(nik="217101550590"),
        "applicant.name": person(name="  "),
        "applicant.birth_date": person(birth_date="15-05-1990"),
        "applicant.identity_check": person(identity_check={"ktp_seen": False, "at": NOW, "place": "Balai Desa", "photo": None}),
        "applicant.consent": person(consent={"given": False, "text_version": "v1", "at": NOW, "signature": None}),
        "applicant.identity_check.photo": person(identity_check={"ktp_seen": True, "at": NOW, "place": "X", "photo": {"url": "x"}}),
        "applicant": person(ibu_kandung="X"),
    }
    for expected, applicant in cases.items():
        assert applicant_problem(applicant, submitted=True) == expected, expected


def test_while_being_filled_in_only_the_types_are_checked():
    assert applicant_problem({"kind": "assisted", "nik": "2171"}, submitted=False) is None
    assert applicant_problem({"kind": "assisted", "nik": 2171}, submitted=False) == "applicant.nik"


def test_check_codes_use_only_unambiguous_characters():
    codes = {new_check_code() for _ in range(200)}
    assert len(codes) > 190 and all(len(c) == 6 and set(c) <= set(CHECK_ALPHABET) for c in codes)
    assert not set("01IOL") & set(CHECK_ALPHABET)


def test_the_ktp_and_consent_photos_are_each_null_or_a_well_formed_ref():
    signature = {**PHOTO, "field": "_consent", "mime": "image/webp", "size": 5 * 1024 * 1024}
    assert applicant_problem(person(consent={"given": True, "text_version": "v1", "at": NOW, "signature": signature}),
                             submitted=True) is None
    assert applicant_problem(person(identity_check={"ktp_seen": True, "at": NOW, "place": "X", "photo": None}), submitted=True) is None
    spoilt = (lambda r: {**r, "sha256": "A" * 64}, lambda r: {**r, "sha256": "a" * 63}, lambda r: {**r, "size": 5 * 1024 * 1024 + 1},
              lambda r: {**r, "size": 0}, lambda r: {**r, "size": True}, lambda r: {**r, "size": "1200"},
              lambda r: {**r, "mime": "application/pdf"}, lambda r: {**r, "field": "foto_ktp"},
              lambda r: {**r, "field": "_consent" if r["field"] == "_ktp" else "_ktp"},
              lambda r: {k: v for k, v in r.items() if k != "field"}, lambda r: {**r, "data": "base64…"}, lambda r: r["sha256"])
    for spoil in spoilt:
        ktp = person(identity_check={"ktp_seen": True, "at": NOW, "place": "X", "photo": spoil(PHOTO)})
        assert applicant_problem(ktp, submitted=False) == "applicant.identity_check.photo", spoil(PHOTO)
        consent = person(consent={"given": True, "text_version": "v1", "at": NOW, "signature": spoil(signature)})
        assert applicant_problem(consent, submitted=False) == "applicant.consent.signature", spoil(signature)
