"""Indonesian mobile numbers: one accepted shape, one canonical form (E.164, +628…)."""

from __future__ import annotations

import re

PHONE_PATTERN = r"^(\+62|62|0)8[1-9][0-9]{6,11}$"  # as typed, after spaces and dashes are removed
_SEPARATORS = re.compile(r"[\s\-.()]")


class PhoneInvalid(ValueError):
    """Not an Indonesian mobile number."""


def normalize_phone(raw: str) -> str:
    """`0812-3456-7890`, `62812…` and `+62 812…` all become `+6281234567890`."""
    digits = _SEPARATORS.sub("", raw or "")
    if not re.fullmatch(PHONE_PATTERN, digits):
        raise PhoneInvalid(raw)
    return "+62" + digits[digits.index("8"):]


def mask_phone(e164: str) -> str:
    """What a screen may show: the last 4 digits only."""
    return "…" + e164[-4:]
