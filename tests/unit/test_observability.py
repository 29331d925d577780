"""Logs never carry a whole NIK, KK number or phone number."""

from __future__ import annotations

import logging

from server.observability import MaskingFilter, mask


def test_mask_keeps_only_the_last_four_digits_of_long_numbers():
    assert mask("/lacak/2171015505900001") == "/lacak/************0001"
    assert mask("hp 081234567890") == "hp ********7890"


def test_mask_leaves_short_numbers_and_codes_alone():
    assert mask("/wilayah/21.71/layanan/2026") == "/wilayah/21.71/layanan/2026"


def test_filter_masks_arguments_formatted_into_a_record():
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "looked up %s", ("3302014107850002",), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "looked up ************0002"
