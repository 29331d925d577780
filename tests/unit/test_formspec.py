"""Form specs: the seed catalog normalizes cleanly, inconsistencies are all reported at once,
and answers are checked by the JSON Schema with the same codes and messages as the device."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from server.catalog.formspec import (
    CODE_ORDER,
    NIK_LIST_PATTERN,
    REGION_PATTERN,
    Field,
    Option,
    check_spec,
    load_seed_catalog,
    normalize_seed_fields,
    strip_hidden,
    to_json_schema,
    validate_values,
    visible_fields,
)

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests/vectors/validation.json").read_text(encoding="utf-8"))
SERVICES = load_seed_catalog()["services"]


def form(name: str) -> list[Field]:
    return [Field.model_validate(f) for f in VECTORS["forms"][name]]


# --- the seed catalog --------------------------------------------------------------------


def test_project_carries_the_seed_catalog_with_all_39_services():
    assert len(SERVICES) == 39
    assert len({s["id"] for s in SERVICES}) == 39


@pytest.mark.parametrize("service", SERVICES, ids=[s["id"] for s in SERVICES])
def test_seed_service_normalizes_and_passes_check_spec(service):
    fields = normalize_seed_fields(service["form_fields"])
    assert [f.id for f in fields] == [f["id"] for f in service["form_fields"]]
    assert check_spec(fields, service["requirements"]) == []
    schema = to_json_schema(fields)
    Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == {f.id for f in fields}


def test_normalizing_a_published_form_again_changes_nothing():
    for service in SERVICES:
        fields = normalize_seed_fields(service["form_fields"])
        published = [f.model_dump(mode="json", exclude_none=True) for f in fields]
        assert normalize_seed_fields(published) == fields, service["id"]


def seed_field(service_id: str, field_id: str) -> Field:
    service = next(s for s in SERVICES if s["id"] == service_id)
    return next(f for f in normalize_seed_fields(service["form_fields"]) if f.id == field_id)


def test_seed_vocabulary_maps_onto_field_types():
    assert seed_field("adminduk-kia", "nomor_kk").type == "kk"
    photo = seed_field("adminduk-kia", "pas_foto")
    assert (photo.type, photo.accept) == ("photo", ("image/jpeg", "image/png"))
    assert seed_field("adminduk-perubahan-biodata", "dokumen_pendukung").type == "document"
    boolean = seed_field("adminduk-akta-kematian", "orang_hilang")
    assert (boolean.type, boolean.options, boolean.is_single_checkbox) == ("checkbox", None, True)
    nik_list = seed_field("adminduk-kk", "anggota_terdampak")
    assert (nik_list.type, nik_list.pattern) == ("text", NIK_LIST_PATTERN) and nik_list.help_id
    region = seed_field("nakes-sip-bidan", "wilayah_tempat_praktik")
    assert (region.type, region.pattern) == ("text", REGION_PATTERN)
    select = seed_field("nakes-sip-bidan", "urutan_sip")
    assert select.type == "select" and [o.value for o in select.options] == ["1", "2", "3"]
    assert seed_field("nakes-sip-bidan", "nik").prefill == "ikd"
    assert seed_field("nakes-sip-bidan", "nomor_str").verify == "sisdmk"


def test_seed_select_without_options_becomes_noted_free_text():
    field = seed_field("adminduk-ktp-el", "lokasi_pengambilan")
    assert field.type == "text" and field.options is None and "without options" in field.note


def test_datetime_becomes_a_noted_date_and_service_ref_a_select_over_the_catalog():
    fields = normalize_seed_fields(
        [
            {"id": "jadwal", "label_id": "Jadwal", "type": "datetime", "required": True},
            {"id": "layanan_asal", "label_id": "Layanan asal", "type": "service_ref", "required": False},
        ],
        services=SERVICES[:2],
    )
    assert fields[0].type == "date" and "datetime" in fields[0].note
    assert fields[1].type == "select"
    assert [o.value for o in fields[1].options] == [SERVICES[0]["id"], SERVICES[1]["id"]]
    assert fields[1].options[0].label_id == SERVICES[0]["name_id"]
    assert fields[1].options[0].label_en == SERVICES[0]["name_en"]
    assert check_spec(fields) == []


def test_service_ref_without_a_catalog_is_reported_not_guessed():
    fields = normalize_seed_fields([{"id": "layanan", "label_id": "Layanan", "type": "service_ref", "required": True}])
    assert [p.code for p in check_spec(fields)] == ["field.options_missing"]


def test_unknown_seed_type_or_key_is_refused():
    with pytest.raises(ValueError, match="unknown type"):
        normalize_seed_fields([{"id": "a", "label_id": "A", "type": "signature", "required": False}])
    with pytest.raises(ValueError, match="unknown keys"):
        normalize_seed_fields([{"id": "a", "label_id": "A", "type": "text", "required": False, "colour": "red"}])


def test_plain_string_options_get_labels_from_their_value():
    option = Option.model_validate("membentuk_keluarga_baru")
    assert (option.value, option.label_id, option.label_en) == ("membentuk_keluarga_baru", "Membentuk keluarga baru", "Membentuk keluarga baru")
    assert Option.model_validate("ASN_daerah").label_id == "ASN daerah"
    assert Option.model_validate({"value": "l", "label_id": "Laki-laki"}).label_en == "Laki-laki"


def test_field_rejects_unknown_types_and_keys():
    with pytest.raises(ValidationError):
        Field.model_validate({"id": "a", "label_id": "A", "type": "nik_list"})
    with pytest.raises(ValidationError):
        Field.model_validate({"id": "a", "label_id": "A", "type": "text", "colour": "red"})


# --- check_spec --------------------------------------------------------------------------


def test_inconsistent_spec_reports_every_problem_at_once():
    fields = [Field.model_validate(f) for f in [
        {"id": "jenis", "label_id": "Jenis", "type": "select", "options": ["baru", "baru", "lama"]},
        {"id": "jenis", "label_id": "Jenis lagi", "type": "text"},
        {"id": "alasan", "label_id": "Alasan", "type": "radio", "options": []},
        {"id": "Nama Lengkap", "label_id": "Nama", "type": "text"},
        {"id": "pilih", "label_id": "Pilih", "type": "checkbox", "options": []},
        {"id": "umur_anak", "label_id": "Umur", "type": "number", "min": 18, "max": 5},
        {"id": "tgl", "label_id": "Tanggal", "type": "date", "min": "2025-01-01", "max": "2024-01-01"},
        {"id": "tgl2", "label_id": "Tanggal", "type": "date", "min": "kemarin", "max": 5},
        {"id": "kode", "label_id": "Kode", "type": "text", "pattern": "([0-9]+", "min_length": 10, "max_length": 3},
        {"id": "kode2", "label_id": "Kode", "type": "text", "pattern": r"\A[0-9]+\Z"},
        {"id": "nik", "label_id": "NIK", "type": "nik", "pattern": "^1", "min": 1, "max_length": 16, "options": ["a"]},
        {"id": "foto", "label_id": "Foto", "type": "photo", "accept": ["application/pdf"]},
        {"id": "catatan", "label_id": "Catatan", "type": "textarea", "accept": ["image/png"]},
        {"id": "a", "label_id": "A", "type": "text", "when": "jenis == 'baru' and"},
        {"id": "b", "label_id": "B", "type": "text", "when": "tidak_ada == 'x' or b != null"},
        {"id": "c", "label_id": "C", "type": "text", "when": "jenis in ['baru', 'perpanjangan']"},
        {"id": "in", "label_id": "D", "type": "text"},
    ]]
    requirements = [
        {"id": "ktp", "label_id": "KTP", "required": True, "source": "ikd", "when": "umur(tanggal_lahir) >= 17"},
        {"id": "ktp", "label_id": "KTP lagi", "required": True, "source": "ikd"},
        {"id": "akta", "label_id": "Akta", "required": False, "source": "upload", "when": "jenis == = 'baru'"},
        {"id": "surat", "label_id": "Surat", "required": False, "source": "upload", "when": "jenis == 'rusak'"},
    ]
    problems = check_spec(fields, requirements)
    found = {(p.code, p.field_id, p.requirement_id) for p in problems}
    assert found == {
        ("field.duplicate_id", "jenis", None),
        ("field.option_duplicate", "jenis", None),
        ("field.options_missing", "alasan", None),
        ("field.invalid_id", "Nama Lengkap", None),
        ("field.options_missing", "pilih", None),
        ("field.min_gt_max", "umur_anak", None),
        ("field.min_gt_max", "tgl", None),
        ("field.bound_invalid", "tgl2", None),
        ("field.pattern_invalid", "kode", None),
        ("field.min_length_gt_max_length", "kode", None),
        ("field.pattern_invalid", "kode2", None),
        ("field.pattern_not_applicable", "nik", None),
        ("field.bound_not_applicable", "nik", None),
        ("field.length_not_applicable", "nik", None),
        ("field.options_not_applicable", "nik", None),
        ("field.accept_invalid", "foto", None),
        ("field.accept_not_applicable", "catatan", None),
        ("field.when_syntax", "a", None),
        ("field.when_unknown_field", "b", None),
        ("field.when_self", "b", None),
        ("field.when_unknown_option", "c", None),
        ("field.invalid_id", "in", None),
        ("requirement.when_unknown_field", "tanggal_lahir", "ktp"),
        ("requirement.duplicate_id", None, "ktp"),
        ("requirement.when_syntax", None, "akta"),
        ("requirement.when_unknown_option", None, "surat"),
    }
    assert len(problems) == len(found) + 1  # tgl2: both bounds are wrong, each reported
    for p in problems:
        assert p.message.endswith(".") and p.message[0].isupper()
    syntax = next(p for p in problems if p.code == "field.when_syntax")
    assert "posisi 19" in syntax.message and "'a'" in syntax.message


def test_a_repeated_id_is_reported_once_even_for_identical_fields():
    field = {"id": "nik", "label_id": "NIK", "type": "nik"}
    fields = [Field.model_validate(field) for _ in range(3)]
    assert [p.code for p in check_spec(fields)] == ["field.duplicate_id"]


@pytest.mark.parametrize("name", ["base", "cascade"])
def test_vector_forms_are_consistent_specs(name):
    assert check_spec(form(name)) == []


def test_problem_messages_exist_for_every_code_in_indonesian():
    from server.catalog.formspec import PROBLEM_MESSAGES

    for code, text in PROBLEM_MESSAGES.items():
        assert text.endswith("."), code
        assert any(key in text for key in ("{field}", "{where}", "{requirement}")), code


def test_when_may_name_a_field_defined_later():
    fields = [
        Field(id="nomor_sip_lama", label_id="Nomor SIP lama", type="text", when="jenis == 'perpanjangan'"),
        Field(id="jenis", label_id="Jenis", type="select", options=("baru", "perpanjangan")),
    ]
    assert check_spec(fields) == []


def test_requirement_objects_as_well_as_mappings_are_checked():
    class Requirement:
        id = "foto"
        when = "umur(lahir) >= 5"

    problems = check_spec([Field(id="lahir", label_id="Lahir", type="date")], [Requirement()])
    assert problems == []


# --- JSON Schema -------------------------------------------------------------------------


def test_json_schema_carries_types_patterns_enums_and_file_references():
    schema = to_json_schema(form("base"))
    Draft202012Validator.check_schema(schema)
    props = schema["properties"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert props["nik"] == {"title": "NIK", "type": "string", "pattern": r"^[0-9]{16}$"}
    assert props["nomor_kk"]["pattern"] == r"^[0-9]{16}$"
    assert props["no_hp"]["pattern"] == r"^(\+62|62|0)8[1-9][0-9]{6,11}$"
    assert props["email"]["format"] == "email"
    assert props["jenis"]["enum"] == ["baru", "perpanjangan"]
    assert props["fasilitas"]["items"]["enum"] == ["wifi", "parkir", "ruang_laktasi"]
    assert props["orang_hilang"]["type"] == "boolean"
    assert props["tanggal_lahir"]["format"] == "date"
    assert props["kelahiran_ke"]["minimum"] == 1 and props["kelahiran_ke"]["maximum"] == 20
    photo = props["pas_foto"]
    assert photo["required"] == ["sha256", "size", "mime"]
    assert photo["properties"]["size"]["maximum"] == 5 * 1024 * 1024
    assert photo["properties"]["mime"]["enum"] == ["image/jpeg", "image/png"]
    assert props["dokumen"]["properties"]["mime"]["enum"] == ["image/jpeg", "image/png", "image/webp", "application/pdf"]


def test_schema_requires_only_unconditional_fields_unless_told_what_is_shown():
    fields = form("base")
    assert "nomor_sip_lama" not in to_json_schema(fields)["required"]
    assert "pas_foto" not in to_json_schema(fields)["required"]
    shown = [f.id for f in visible_fields(fields, {"jenis": "perpanjangan"}, "2024-06-15")]
    assert "nomor_sip_lama" in to_json_schema(fields, visible=shown)["required"]


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_shared_validation_vector(case):
    assert validate_values(form(case["form"]), case["values"], case["today"]) == case["errors"]


def test_vectors_show_every_error_code_and_message():
    shown = {e["code"] for c in VECTORS["cases"] for errs in c["errors"].values() for e in errs}
    assert shown == set(CODE_ORDER)


def test_a_hidden_required_field_is_not_required_and_its_value_is_stripped():
    fields = form("base")
    values = {"jenis": "baru", "nomor_sip_lama": "ab", "tidak_ada": 1}
    assert "nomor_sip_lama" not in validate_values(fields, values, "2024-06-15")
    assert strip_hidden(fields, values, "2024-06-15") == {"jenis": "baru"}
    values["jenis"] = "perpanjangan"
    assert strip_hidden(fields, values, "2024-06-15") == {"jenis": "perpanjangan", "nomor_sip_lama": "ab"}
    assert validate_values(fields, values, "2024-06-15")["nomor_sip_lama"][0]["code"] == "min_length"


def test_today_may_be_a_date_object():
    import datetime as dt

    fields = form("base")
    values = {"tanggal_lahir": "2019-06-15"}
    assert "pas_foto" in validate_values(fields, values, dt.date(2024, 6, 15))
    assert "pas_foto" not in validate_values(fields, values, dt.date(2024, 6, 14))


def test_seed_form_validates_a_realistic_application():
    service = next(s for s in SERVICES if s["id"] == "nakes-sip-bidan")
    fields = normalize_seed_fields(service["form_fields"])
    values = {
        "nik": "3374014101900001", "nama_lengkap": "Sri Wahyuni", "nomor_str": "ST-123", "jenis_permohonan": "baru",
        "urutan_sip": "1", "jenis_tempat_praktik": "fasyankes", "nama_tempat_praktik": "Puskesmas Candisari",
        "alamat_tempat_praktik": "Jl. Sultan Agung 1", "wilayah_tempat_praktik": "33.74.04", "jadwal_praktik": "Senin-Jumat 08.00-14.00",
        "no_hp": "081234567890",
    }
    assert validate_values(fields, values, "2026-11-20") == {}
    values.update(urutan_sip="4", wilayah_tempat_praktik="Semarang")
    errors = validate_values(fields, values, "2026-11-20")
    assert [e["code"] for e in errors["urutan_sip"]] == ["choice"]
    assert [e["code"] for e in errors["wilayah_tempat_praktik"]] == ["pattern"]


def test_formspec_and_conditions_never_import_litestar():
    import ast

    for name in ("formspec.py", "conditions.py"):
        tree = ast.parse((ROOT / "server/catalog" / name).read_text(encoding="utf-8"))
        modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not {m for m in modules if m.split(".")[0] == "litestar"}, name
