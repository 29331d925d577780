import pytest

from identity.phone import PhoneInvalid, mask_phone, normalize_phone


@pytest.mark.parametrize("raw", ["081234567890", "0812-3456-7890", "62 812 3456 7890", "+6281234567890", "(0812) 3456.7890"])
def test_every_usual_way_of_writing_a_mobile_number_gives_one_e164_form(raw):
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize("raw", ["", "0211234567", "08123", "+6581234567", "0812345678901234", "08l234567890", "0802345678"])
def test_landlines_foreign_and_malformed_numbers_are_refused(raw):
    with pytest.raises(PhoneInvalid):
        normalize_phone(raw)


def test_a_masked_number_shows_only_the_last_four_digits():
    assert mask_phone("+6281234567890") == "…7890"
