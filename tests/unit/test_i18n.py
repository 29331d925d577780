"""Server and PWA message catalogs: Indonesian first, English complete."""

from __future__ import annotations

import json
from pathlib import Path

from server.errors import ERROR_TABLE
from server.i18n import catalog, message, negotiate

ROOT = Path(__file__).resolve().parents[2]


def test_english_catalog_has_every_indonesian_message():
    assert set(catalog("en")) == set(catalog("id"))


def test_every_error_code_has_a_message():
    assert {spec.code for spec in ERROR_TABLE.values()} <= set(catalog("id"))


def test_indonesian_is_the_default_and_english_is_chosen_only_when_preferred():
    assert negotiate(None) == "id"
    assert negotiate("fr-FR,fr;q=0.9") == "id"
    assert negotiate("en-US,en;q=0.9,id;q=0.8") == "en"
    assert negotiate("id-ID,id;q=0.9,en;q=0.8") == "id"


def test_message_fills_in_values():
    assert "ABC123" in message("server.error", "id", ref="ABC123")


def test_pwa_catalogs_have_the_same_keys():
    id_ = json.loads((ROOT / "pwa/src/locales/id.json").read_text())
    en = json.loads((ROOT / "pwa/src/locales/en.json").read_text())
    assert set(id_) == set(en)
