"""The condition language: shared vectors (also run by the device's JS), the seed catalog's
`when` hints, and the guarantees that keep catalog text from ever running as code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.catalog import conditions
from server.catalog.conditions import (
    ConditionSyntaxError,
    evaluate,
    evaluate_lenient,
    field_names,
    parse,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests/vectors/conditions.json").read_text(encoding="utf-8"))
CATALOG = json.loads((ROOT / "server/catalog/data/services.json").read_text(encoding="utf-8"))


def vector_id(case: dict) -> str:
    return f"{case['expr'][:60]!r} {json.dumps(case['context'], ensure_ascii=False)[:60]}"


@pytest.mark.parametrize("case", VECTORS, ids=[vector_id(c) for c in VECTORS])
def test_shared_vector(case):
    expected = case["result"]
    if isinstance(expected, dict):
        with pytest.raises(ConditionSyntaxError) as caught:
            evaluate(case["expr"], case["context"])
        if "position" in expected:
            assert caught.value.position == expected["position"], caught.value
    else:
        assert evaluate(case["expr"], case["context"]) is expected


def test_vectors_cover_every_operator_and_enough_cases():
    exprs = " ".join(c["expr"] for c in VECTORS)
    for token in ("==", "!=", "<=", ">=", " < ", " > ", " in ", "not in", " and ", " or ", "not ", "umur(", "(", "[", "null", "true", "false", '"', "'"):
        assert token in exprs, token
    assert len(VECTORS) >= 60
    assert sum(isinstance(c["result"], dict) for c in VECTORS) >= 20


def test_every_seed_when_hint_parses_and_names_only_its_service_fields():
    unreadable, unknown = [], []
    for service in CATALOG["services"]:
        ids = {f["id"] for f in service["form_fields"]}
        for req in service["requirements"]:
            if "when" not in req:
                continue
            try:
                names = field_names(req["when"])
            except ConditionSyntaxError as exc:
                unreadable.append((service["id"], req["id"], req["when"], str(exc)))
                continue
            unknown += [(service["id"], req["id"], n) for n in names - ids]
    assert unreadable == []
    assert unknown == []


def test_seed_umur_hint_asks_for_the_photo_from_the_fifth_birthday():
    when = "umur(tanggal_lahir_anak) >= 5"
    assert not evaluate(when, {"tanggal_lahir_anak": "2020-07-17", "_today": "2025-07-16"})
    assert evaluate(when, {"tanggal_lahir_anak": "2020-07-17", "_today": "2025-07-17"})


def test_field_names_lists_every_identifier_including_the_umur_argument():
    expr = "not a == 'x' or b in ['p', 'q'] and umur(lahir) >= 17 or 'v' in c"
    assert field_names(expr) == {"a", "b", "lahir", "c"}
    assert field_names(parse("a == null")) == {"a"}
    assert field_names("true") == set()


def test_field_names_rejects_unreadable_text():
    with pytest.raises(ConditionSyntaxError):
        field_names("a ==")


def test_lenient_evaluation_shows_the_requirement_when_the_hint_is_unreadable():
    assert evaluate_lenient("anak berusia 5 tahun ke atas", {}) is True
    assert evaluate_lenient(None, {}) is True
    assert evaluate_lenient("a == 'x'", {"a": "y"}) is False
    assert evaluate_lenient("a == 'x'", {"a": "x"}) is True


def test_syntax_error_reports_a_reason_and_a_position():
    with pytest.raises(ConditionSyntaxError) as caught:
        parse("jenis == 'baru' and and")
    assert caught.value.position == 20
    assert "position 20" in str(caught.value)
    assert caught.value.reason


def test_a_non_string_expression_is_a_syntax_error():
    with pytest.raises(ConditionSyntaxError):
        parse(42)  # type: ignore[arg-type]


def test_parse_returns_an_immutable_cached_tree():
    node = parse("a in ['x', 'y']")
    assert parse("a in ['x', 'y']") is node
    with pytest.raises(AttributeError):
        node.op = "not in"  # type: ignore[misc]


def test_evaluate_accepts_a_parsed_tree_and_date_objects_for_today():
    import datetime as dt

    node = parse("umur(lahir) >= 17")
    assert evaluate(node, {"lahir": "2008-01-01", "_today": dt.date(2025, 1, 1)})
    assert not evaluate(node, {"lahir": "2008-01-02", "_today": dt.date(2025, 1, 1)})


def test_module_never_uses_eval_exec_or_compile():
    import ast

    tree = ast.parse(Path(conditions.__file__).read_text(encoding="utf-8"))
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}
