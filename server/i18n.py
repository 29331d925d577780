"""Server-side message catalogs: Bahasa Indonesia first, English second.

Catalogs are JSON files in `server/locales/`, keyed by a stable message code (the same codes
the error table uses). A code missing from the English catalog falls back to Indonesian.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT = "id"
SUPPORTED = ("id", "en")


@cache
def catalog(lang: str) -> dict[str, str]:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def negotiate(accept_language: str | None) -> str:
    """Pick `en` only when the person's browser prefers English over Indonesian."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in SUPPORTED:
            return tag
    return DEFAULT


def message(code: str, lang: str = DEFAULT, **values: object) -> str:
    text = catalog(lang).get(code) or catalog(DEFAULT).get(code) or catalog(DEFAULT)["server.error"]
    try:
        return text.format(**values)
    except (KeyError, IndexError):
        return text
