"""The application form of a service: field specs, their consistency check, JSON Schema, validation.

A service's form is a list of `Field`s. Regional admins edit forms, so `check_spec` lists
every inconsistency at once (in Indonesian, for the admin screen) before a version can be
published. Applicants' answers are checked twice with the same rules: on the device by
`pwa/src/forms/validate.js`, so they see what to fix while offline, and here by
`validate_values` before the server accepts a submission. Both return the same error codes
and messages; `tests/vectors/validation.json` holds them to it.

Words used: NIK (Nomor Induk Kependudukan, the 16-digit national identity number), KK
(Kartu Keluarga, the family card, also numbered with 16 digits), kode wilayah (the
Kemendagri area code: `33`, `33.74`, `33.74.01`, `33.74.01.1001`).

Regular expressions follow JSON Schema, which means ECMA-262 (JSON Schema 2020-12 §6.4):
`$` is the end of the text and `\\d` is an ASCII digit. Python's `re` differs on both
(`$` also matches before a final newline, `\\d` matches any Unicode digit), so patterns are
run with `re.ASCII` and `$` read as `\\Z`; our own patterns spell digits `[0-9]`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal as TypeLiteral, get_args

from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from pydantic import BaseModel, ConfigDict, NonNegativeInt, StrictFloat, StrictInt, StrictStr, model_validator

from identity.phone import PHONE_PATTERN
from server.catalog import conditions
from server.catalog.conditions import ConditionSyntaxError

__all__ = [
    "CODE_ORDER",
    "Field",
    "Option",
    "Problem",
    "check_spec",
    "load_seed_catalog",
    "normalize_seed_fields",
    "strip_hidden",
    "to_json_schema",
    "validate_values",
    "visible_fields",
]

SEED_CATALOG = Path(__file__).resolve().parent / "data" / "services.json"

FieldType = TypeLiteral[
    "text", "number", "date", "select", "radio", "checkbox", "textarea",
    "nik", "kk", "phone", "email", "photo", "document",
]
CHOICE_TYPES = frozenset({"select", "radio", "checkbox"})
TEXT_TYPES = frozenset({"text", "textarea"})
FILE_TYPES = frozenset({"photo", "document"})
BOUNDED_TYPES = frozenset({"number", "date"})

DEFAULT_MAX_LENGTH = {"text": 500, "textarea": 5000}
MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_MIME = {
    "photo": ("image/jpeg", "image/png", "image/webp"),
    "document": ("image/jpeg", "image/png", "image/webp", "application/pdf"),
}
MIME_LABELS = {"image/jpeg": "JPG", "image/png": "PNG", "image/webp": "WEBP", "application/pdf": "PDF"}

NIK_PATTERN = r"^[0-9]{16}$"
KK_PATTERN = NIK_PATTERN
EMAIL_PATTERN = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
EMAIL_MAX_LENGTH = 254  # RFC 5321 §4.5.3.1.3 path limit, less the angle brackets
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
NIK_LIST_PATTERN = r"^[0-9]{16}( *, *[0-9]{16})*$"
REGION_PATTERN = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$"

FIELD_ID = re.compile(r"[a-z][a-z0-9_]*")
# seed fields that name one of the agency's service points (place and counter)
SERVICE_POINT_FIELDS = frozenset({"lokasi_pengambilan"})
# words option_label keeps in capitals (`asn` -> `ASN`, not `Asn`)
ACRONYMS = frozenset({"asn", "pns", "pppk", "tni", "polri", "bumn", "bumd", "str", "sip", "kk", "ktp", "nik", "kia", "wni", "wna",
                      "rt", "rw", "bpjs", "npwp", "ikd", "tte", "pdf"})
BLANK = " \t\r\n\f\v"
# Error codes in the order a field shows them.
CODE_ORDER = (
    "required", "type", "number", "date", "choice", "choices", "boolean", "nik", "kk", "phone",
    "email", "file", "file_type", "file_too_large", "min", "max", "min_length", "max_length", "pattern",
)
MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
          "Agustus", "September", "Oktober", "November", "Desember")


# --- the spec ----------------------------------------------------------------------------


def option_label(value: str) -> str:
    """`membentuk_keluarga_baru` -> `Membentuk keluarga baru` (only the first letter is raised);
    acronyms stay in capitals: `asn` -> `ASN`, `non_asn` -> `Non ASN`."""
    words = [w.upper() if w.lower() in ACRONYMS else w for w in value.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


class Option(BaseModel):
    """One choice of a select, radio or checkbox field; a plain string is read as its value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: StrictStr
    label_id: StrictStr
    label_en: StrictStr

    @model_validator(mode="before")
    @classmethod
    def _from_plain(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"value": data, "label_id": option_label(data), "label_en": option_label(data)}
        if isinstance(data, Mapping) and isinstance(data.get("value"), str):
            data = dict(data)
            data.setdefault("label_id", option_label(data["value"]))
            data.setdefault("label_en", data["label_id"])
        return data


class Field(BaseModel):
    """One question of an application form.

    `checkbox` without `options` is a single yes/no tick box (value true/false); with options
    it is a multiple choice (value: a list of option values). `min`/`max` bound a number (a
    number) or a date (an ISO date); `min_length`/`max_length` and `pattern` apply to text.
    `when` is a condition (see conditions.py): the field is shown, validated and kept only
    while it holds. photo/document values are references `{sha256, size, mime}` to a blob,
    optionally with `field` (this field's id), as uploaded through `/blobs/` (sync.blobs).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: StrictStr
    label_id: StrictStr
    label_en: StrictStr | None = None
    type: FieldType
    required: bool = False
    options: tuple[Option, ...] | None = None
    pattern: StrictStr | None = None
    min: StrictInt | StrictFloat | StrictStr | None = None
    max: StrictInt | StrictFloat | StrictStr | None = None
    min_length: NonNegativeInt | None = None
    max_length: NonNegativeInt | None = None
    when: StrictStr | None = None
    help_id: StrictStr | None = None
    help_en: StrictStr | None = None
    accept: tuple[StrictStr, ...] | None = None  # photo/document: allowed MIME types
    prefill: StrictStr | None = None  # "ikd": filled from the IKD login / Dukcapil data
    verify: StrictStr | None = None  # "sisdmk": checked against SATUSEHAT SDMK
    note: StrictStr | None = None  # how the field was derived from the seed vocabulary
    requirement: StrictStr | None = None  # photo/document: the requirement (persyaratan) it satisfies
    # the device offers the region's own choices from its catalog (`region:<code>` doc) instead of
    # asking for codes or free text: "district" (a kecamatan of the region, value: its Kemendagri
    # code) or "service_point" (a place and counter of the service's agency, value: its name)
    picker: TypeLiteral["district", "service_point"] | None = None

    @property
    def is_single_checkbox(self) -> bool:
        return self.type == "checkbox" and self.options is None

    def allowed_mime(self) -> tuple[str, ...]:
        allowed = FILE_MIME.get(self.type, ())
        chosen = tuple(m for m in allowed if self.accept is None or m in self.accept)
        return chosen or allowed


# --- the seed vocabulary -----------------------------------------------------------------

_SEED_KEYS = frozenset(Field.model_fields) - {"type"}
_SAME_TYPES = frozenset(get_args(FieldType))


def normalize_seed_fields(
    seed_fields: Iterable[Mapping[str, Any]], *, services: Iterable[Mapping[str, Any]] = ()
) -> list[Field]:
    """Turn `form_fields[]` of the seed catalog into Fields.

    `no_kk` becomes `kk`; `file` becomes `photo` when every accepted type is an image, else
    `document`; `boolean` a single checkbox; `nik_list` and `region` text with a pattern;
    `service_ref` a select over `services` (catalog entries); `datetime` a date (the form
    asks for the day only, which is what the seed's uses need). A `select` the seed left
    without options becomes free text, noted, until the region lists the choices.
    """
    service_options = [
        {"value": s["id"], "label_id": s.get("name_id") or s["id"], "label_en": s.get("name_en") or s.get("name_id") or s["id"]}
        for s in services
    ]
    fields = []
    for raw in seed_fields:
        data = dict(raw)
        kind = data.pop("type", None)
        unknown = set(data) - _SEED_KEYS
        if unknown:
            raise ValueError(f"seed field {data.get('id')!r} has unknown keys {sorted(unknown)}")
        if kind == "no_kk":
            kind = "kk"
        elif kind == "file":
            accept = data.get("accept") or []
            kind = "photo" if accept and all(str(m).startswith("image/") for m in accept) else "document"
        elif kind == "boolean":
            kind = "checkbox"
            data.pop("options", None)
        elif kind == "nik_list":
            kind = "text"
            data.setdefault("pattern", NIK_LIST_PATTERN)
            data.setdefault("help_id", "NIK 16 angka; pisahkan beberapa NIK dengan koma.")
            data.setdefault("help_en", "16-digit NIKs; separate several with commas.")
        elif kind == "region":
            kind = "text"
            data.setdefault("pattern", REGION_PATTERN)
            data.setdefault("picker", "district")
            data.setdefault("help_id", "Pilih kecamatan dari daftar kecamatan daerah ini.")
            data.setdefault("help_en", "Choose the district (kecamatan) from this region's list.")
        elif kind == "service_ref":
            kind = "select"
            data.setdefault("options", service_options or None)
        elif kind == "datetime":
            kind = "date"
            data.setdefault("note", "seed type datetime: asked as a date")
        elif kind not in _SAME_TYPES:
            raise ValueError(f"seed field {data.get('id')!r} has unknown type {kind!r}")
        if kind == "select" and not data.get("options") and raw.get("type") == "select":
            kind = "text"
            data.pop("options", None)
            if data.get("id") in SERVICE_POINT_FIELDS:
                data.setdefault("picker", "service_point")
                data.setdefault("help_id", "Pilih tempat dan loket dari daftar tempat layanan daerah ini.")
                data.setdefault("help_en", "Choose the place and counter from this region's service points.")
            data.setdefault("note", "seed select without options: free text until the region lists the choices")
        fields.append(Field.model_validate({**data, "type": kind}))
    return fields


def load_seed_catalog(path: Path = SEED_CATALOG) -> dict[str, Any]:
    """The seed catalog the project carries (a copy of the reviewed seed; see its README)."""
    return json.loads(path.read_text(encoding="utf-8"))


# --- consistency check -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One inconsistency of a form spec: a stable code, where it is, and what to fix."""

    code: str
    field_id: str | None
    message: str
    requirement_id: str | None = None


_WHEN_MESSAGES = {
    "when_syntax": "Kondisi {where} tidak dapat dibaca mulai posisi {position}: «{snippet}». "
    "Periksa tanda kutip, kurung, dan operator (==, !=, in, not in, and, or).",
    "when_unknown_field": "Kondisi {where} menyebut kolom '{name}' yang tidak ada di formulir.",
    "when_self": "Kondisi {where} bergantung pada isian kolom itu sendiri.",
    "when_unknown_option": "Kondisi {where} membandingkan kolom '{name}' dengan '{value}', padahal pilihan itu tidak ada.",
}
# Every problem code with its message template (Bahasa Indonesia: the admin screen shows them).
PROBLEM_MESSAGES = {
    "field.duplicate_id": "ID kolom '{field}' dipakai lebih dari sekali; setiap kolom perlu ID sendiri.",
    "field.invalid_id": "ID kolom '{field}' tidak sah: pakai huruf kecil, angka, dan garis bawah, diawali huruf, "
    "dan bukan kata and, or, not, in, true, false, atau null.",
    "field.options_missing": "Kolom '{field}' berjenis pilihan ({type}) tetapi belum punya daftar pilihan.",
    "field.option_duplicate": "Pilihan '{value}' pada kolom '{field}' tercantum lebih dari sekali.",
    "field.options_not_applicable": "Kolom '{field}' berjenis {type} dan tidak memakai daftar pilihan.",
    "field.bound_invalid": "Batas {which} kolom '{field}' harus berupa {kind}.",
    "field.min_gt_max": "Batas bawah kolom '{field}' ({min}) lebih besar dari batas atasnya ({max}).",
    "field.bound_not_applicable": "Kolom '{field}' berjenis {type}; batas nilai hanya berlaku untuk angka dan tanggal.",
    "field.min_length_gt_max_length": "Panjang minimal kolom '{field}' ({min_length}) lebih besar dari panjang maksimalnya ({max_length}).",
    "field.length_not_applicable": "Kolom '{field}' berjenis {type}; batas panjang hanya berlaku untuk teks.",
    "field.pattern_invalid": "Pola (regex) kolom '{field}' {why}.",
    "field.pattern_not_applicable": "Kolom '{field}' berjenis {type}; pola (regex) hanya berlaku untuk teks.",
    "field.accept_invalid": "Jenis berkas '{mime}' pada kolom '{field}' tidak didukung; gunakan {kinds}.",
    "field.accept_not_applicable": "Kolom '{field}' berjenis {type}; jenis berkas hanya berlaku untuk foto dan dokumen.",
    "requirement.duplicate_id": "ID persyaratan '{requirement}' dipakai lebih dari sekali.",
    **{f"field.{code}": text for code, text in _WHEN_MESSAGES.items()},
    **{f"requirement.{code}": text for code, text in _WHEN_MESSAGES.items()},
}


def _problem(code: str, field_id: str | None, requirement_id: str | None = None, **values: Any) -> Problem:
    message = PROBLEM_MESSAGES[code].format(field=field_id, requirement=requirement_id, **values)
    return Problem(code, field_id, message, requirement_id)


def _is_iso_date(value: object) -> bool:
    return isinstance(value, str) and len(value) == 10 and conditions.parse_iso_date(value) is not None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# Python-only regex syntax a device (ECMA-262) would reject or read differently.
_NOT_PORTABLE = re.compile(r"\\[AZz]|\(\?P|\(\?#|\(\?[aiLmsux-]+[:)]")


def _pattern_problem(pattern: str) -> str | None:
    if _NOT_PORTABLE.search(pattern):
        return "memakai sintaks khusus Python (mis. \\A, \\Z, (?P...), flag sisipan) yang tidak dikenali perangkat"
    try:
        _regex(pattern)
    except re.error:
        return "tidak dapat dibaca sebagai regex"
    return None


def _when_problems(expr: str, by_id: Mapping[str, Field], *, field_id: str | None = None, requirement_id: str | None = None) -> list[Problem]:
    prefix = "field" if requirement_id is None else "requirement"
    where = f"tampil kolom '{field_id}'" if requirement_id is None else f"persyaratan '{requirement_id}'"
    try:
        node = conditions.parse(expr)
    except ConditionSyntaxError as exc:
        snippet = expr[exc.position : exc.position + 20] or "(akhir teks)"
        return [_problem(f"{prefix}.when_syntax", field_id, requirement_id, where=where, position=exc.position, snippet=snippet)]
    found = []
    names = conditions.field_names(node)
    for name in sorted(names - by_id.keys()):
        # A requirement has no field of its own: point at the missing one.
        found.append(_problem(f"{prefix}.when_unknown_field", field_id or name, requirement_id, where=where, name=name))
    if field_id is not None and field_id in names:
        found.append(_problem(f"{prefix}.when_self", field_id, requirement_id, where=where))
    for name, value in sorted(_compared_options(node)):
        field = by_id.get(name)
        if field is not None and field.options and value not in {o.value for o in field.options}:
            found.append(_problem(f"{prefix}.when_unknown_option", field_id, requirement_id, where=where, name=name, value=value))
    return found


def _compared_options(node: conditions.Node) -> set[tuple[str, str]]:
    """(field id, string) pairs a condition compares a field with, to catch misspelt options."""
    pairs: set[tuple[str, str]] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, conditions.Not):
            stack.append(n.operand)
        elif isinstance(n, conditions.BoolOp):
            stack.extend(n.operands)
        elif isinstance(n, conditions.Compare):
            for a, b in ((n.left, n.right), (n.right, n.left)):
                if not isinstance(a, conditions.Name):
                    continue
                if isinstance(b, conditions.Literal):
                    literals: tuple[conditions.Literal, ...] = (b,)
                elif isinstance(b, conditions.ListLiteral):
                    literals = b.items
                else:
                    continue
                pairs.update((a.name, lit.value) for lit in literals if isinstance(lit.value, str))
    return pairs


def _field_problems(f: Field, by_id: Mapping[str, Field]) -> list[Problem]:
    found: list[Problem] = []

    def add(code: str, **values: Any) -> None:
        found.append(_problem(code, f.id, type=f.type, **values))

    if not FIELD_ID.fullmatch(f.id) or f.id in conditions.KEYWORDS:
        add("field.invalid_id")
    if f.when is not None:
        found.extend(_when_problems(f.when, by_id, field_id=f.id))

    if f.type in CHOICE_TYPES and not f.is_single_checkbox:
        if not f.options:
            add("field.options_missing")
        values = [o.value for o in f.options or ()]
        for value in sorted({v for v in values if values.count(v) > 1}):
            add("field.option_duplicate", value=value)
    elif f.options is not None:
        add("field.options_not_applicable")

    if f.type in BOUNDED_TYPES:
        ok = _is_number if f.type == "number" else _is_iso_date
        kind = "angka" if f.type == "number" else "tanggal berformat TTTT-BB-HH"
        for which, bound in (("bawah", f.min), ("atas", f.max)):
            if bound is not None and not ok(bound):
                add("field.bound_invalid", which=which, kind=kind)
        if ok(f.min) and ok(f.max) and f.min > f.max:  # type: ignore[operator]
            add("field.min_gt_max", min=f.min, max=f.max)
    elif f.min is not None or f.max is not None:
        add("field.bound_not_applicable")

    if f.type in TEXT_TYPES:
        longest = f.max_length if f.max_length is not None else DEFAULT_MAX_LENGTH[f.type]
        if f.min_length is not None and f.min_length > longest:
            add("field.min_length_gt_max_length", min_length=f.min_length, max_length=longest)
        if f.pattern is not None and (why := _pattern_problem(f.pattern)):
            add("field.pattern_invalid", why=why)
    else:
        if f.min_length is not None or f.max_length is not None:
            add("field.length_not_applicable")
        if f.pattern is not None:
            add("field.pattern_not_applicable")

    if f.type in FILE_TYPES:
        kinds = _join_or([MIME_LABELS[m] for m in FILE_MIME[f.type]])
        for mime in f.accept or ():
            if mime not in FILE_MIME[f.type]:
                add("field.accept_invalid", mime=mime, kinds=kinds)
    elif f.accept is not None:
        add("field.accept_not_applicable")
    return found


def check_spec(fields: Sequence[Field], requirements: Iterable[Any] = ()) -> list[Problem]:
    """Every inconsistency of a form spec and of its requirements' `when`, not just the first.

    `requirements` are catalog requirement entries (mappings or objects with `id`, `when`).
    A `when` may name any field of the form, defined before or after it.
    """
    counts = Counter(f.id for f in fields)
    problems = [_problem("field.duplicate_id", fid) for fid in dict.fromkeys(f.id for f in fields) if counts[fid] > 1]
    by_id: dict[str, Field] = {}
    for f in fields:
        by_id.setdefault(f.id, f)
    for f in fields:
        problems.extend(_field_problems(f, by_id))

    seen: set[str] = set()
    for req in requirements:
        rid, when = _get(req, "id"), _get(req, "when")
        if rid in seen:
            problems.append(_problem("requirement.duplicate_id", None, rid))
        seen.add(rid)
        if when is not None:
            problems.extend(_when_problems(when, by_id, requirement_id=rid))
    return problems


def _get(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


# --- JSON Schema -------------------------------------------------------------------------


def _property_schema(f: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": f.label_id}
    if f.type in TEXT_TYPES:
        schema["type"] = "string"
        if f.min_length is not None:
            schema["minLength"] = f.min_length
        schema["maxLength"] = f.max_length if f.max_length is not None else DEFAULT_MAX_LENGTH[f.type]
        if f.pattern is not None:
            schema["pattern"] = f.pattern
    elif f.type == "number":
        schema["type"] = "number"
        if _is_number(f.min):
            schema["minimum"] = f.min
        if _is_number(f.max):
            schema["maximum"] = f.max
    elif f.type == "date":
        schema.update(type="string", format="date", pattern=DATE_PATTERN)
        # Not in the 2020-12 vocabulary; the validator below adds them (as ajv-formats does).
        if _is_iso_date(f.min):
            schema["formatMinimum"] = f.min
        if _is_iso_date(f.max):
            schema["formatMaximum"] = f.max
    elif f.type in ("select", "radio"):
        schema.update(type="string", enum=[o.value for o in f.options or ()])
    elif f.type == "checkbox":
        if f.options is None:
            schema["type"] = "boolean"
        else:
            schema.update(type="array", uniqueItems=True, items={"type": "string", "enum": [o.value for o in f.options]})
    elif f.type in ("nik", "kk"):
        schema.update(type="string", pattern=NIK_PATTERN if f.type == "nik" else KK_PATTERN)
    elif f.type == "phone":
        schema.update(type="string", pattern=PHONE_PATTERN)
    elif f.type == "email":
        schema.update(type="string", format="email", pattern=EMAIL_PATTERN, maxLength=EMAIL_MAX_LENGTH)
    elif f.type in FILE_TYPES:
        schema.update(
            type="object",
            required=["sha256", "size", "mime"],
            additionalProperties=False,
            properties={
                "sha256": {"type": "string", "pattern": SHA256_PATTERN},
                "size": {"type": "integer", "minimum": 1, "maximum": MAX_FILE_BYTES},
                "mime": {"enum": list(f.allowed_mime())},
                "field": {"const": f.id},  # optional: the device may say which field the upload was for
                # optional: picked from the person's wallet (`wallet:<id>`) instead of uploaded again;
                # the person owns the blob through the wallet, which is what ingest checks
                "wallet": {"type": "string", "minLength": 1, "maxLength": 40},
            },
        )
    return schema


def to_json_schema(fields: Sequence[Field], *, visible: Iterable[str] | None = None) -> dict[str, Any]:
    """A JSON Schema 2020-12 for a form's values.

    A required field is listed in `required` only when it is shown: pass the ids of the
    visible fields (see `visible_fields`); without them only unconditional fields count.
    """
    shown = set(visible) if visible is not None else None
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {f.id: _property_schema(f) for f in fields},
        "required": [f.id for f in fields if f.required and (f.id in shown if shown is not None else f.when is None)],
        "additionalProperties": False,
    }


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    """Compile an ECMA-262 pattern so Python matches what the device matches (see module doc)."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == "$":
            c = r"\Z"
        out.append(c)
        i += 1
    return re.compile("".join(out), re.ASCII)


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterable[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    try:
        matched = _regex(pattern).search(instance)
    except re.error:
        return  # check_spec reports unreadable patterns; nothing to hold the value to
    if not matched:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _format_bound(below: bool):
    def keyword(validator: Any, bound: str, instance: Any, schema: Any) -> Iterable[ValidationError]:
        if _is_iso_date(instance) and _is_iso_date(bound) and (instance < bound if below else instance > bound):
            yield ValidationError(f"{instance!r} is {'before' if below else 'after'} {bound!r}")

    return keyword


_FORMATS = FormatChecker(formats=())
_FORMATS.checks("date")(lambda v: not isinstance(v, str) or _is_iso_date(v))
_FORMATS.checks("email")(lambda v: not isinstance(v, str) or _regex(EMAIL_PATTERN).search(v) is not None)

FormValidator = validators.extend(
    Draft202012Validator,
    {"pattern": _ecma_pattern, "formatMinimum": _format_bound(True), "formatMaximum": _format_bound(False)},
)


# --- validation --------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip(BLANK) == "")


def _unfilled(field: Field, value: object) -> bool:
    if _blank(value) or (isinstance(value, (list, tuple)) and len(value) == 0):
        return True
    return field.is_single_checkbox and value is False


def _today_iso(today: dt.date | str) -> str:
    return today.isoformat() if isinstance(today, dt.date) else str(today)


def visible_fields(fields: Sequence[Field], values: Mapping[str, Any], today: dt.date | str) -> list[Field]:
    """The fields whose `when` holds. A hidden field's value does not count toward another
    field's condition, so hiding cascades; repeated until nothing changes."""
    filled = {f.id: values[f.id] for f in fields if f.id in values and not _blank(values[f.id])}
    shown = {f.id for f in fields}
    for _ in range(len(fields) + 1):
        context: dict[str, Any] = {k: v for k, v in filled.items() if k in shown}
        context["_today"] = _today_iso(today)
        now = {f.id for f in fields if conditions.evaluate_lenient(f.when, context)}
        if now == shown:
            break
        shown = now
    return [f for f in fields if f.id in shown]


def strip_hidden(fields: Sequence[Field], values: Mapping[str, Any], today: dt.date | str) -> dict[str, Any]:
    """The values of shown fields only; answers to hidden or unknown fields are dropped."""
    return {f.id: values[f.id] for f in visible_fields(fields, values, today) if f.id in values}


def _error_code(field: Field, error: ValidationError) -> str:
    keyword, inner = error.validator, list(error.absolute_path)[1:]
    t = field.type
    if t in TEXT_TYPES:
        return {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern"}.get(keyword, "type")
    if t == "number":
        return {"minimum": "min", "maximum": "max"}.get(keyword, "number")
    if t == "date":
        return {"formatMinimum": "min", "formatMaximum": "max"}.get(keyword, "date")
    if t in ("select", "radio"):
        return "choice"
    if t == "checkbox":
        return "boolean" if field.is_single_checkbox else "choices"
    if t in FILE_TYPES:
        if inner[:1] == ["size"] and keyword == "maximum":
            return "file_too_large"
        return "file_type" if inner[:1] == ["mime"] else "file"
    return t  # nik, kk, phone, email


def _join_or(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])}{',' if len(items) > 2 else ''} atau {items[-1]}"


def _number_text(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def _date_text(iso: str) -> str:
    return f"{int(iso[8:10])} {MONTHS[int(iso[5:7]) - 1]} {iso[:4]}"


def error_message(code: str, field: Field) -> str:
    """The Indonesian sentence shown beside the field (validate.js holds the same table)."""
    t = field.type
    if code == "required":
        if t == "checkbox":
            return "Wajib dicentang." if field.is_single_checkbox else "Pilih paling sedikit satu."
        if t in FILE_TYPES:
            return "Wajib diunggah."
        return "Wajib dipilih." if t in ("select", "radio") else "Wajib diisi."
    if code in ("min", "max"):
        bound = field.min if code == "min" else field.max
        if t == "date":
            return f"Tanggal paling {'awal' if code == 'min' else 'akhir'} {_date_text(str(bound))}."
        return f"Paling {'kecil' if code == 'min' else 'besar'} {_number_text(bound)}."  # type: ignore[arg-type]
    if code == "file_type":
        return f"Jenis {'foto' if t == 'photo' else 'berkas'} harus {_join_or([MIME_LABELS[m] for m in field.allowed_mime()])}."
    if code == "min_length":
        return f"Paling sedikit {field.min_length} karakter."
    if code == "max_length":
        return f"Paling banyak {field.max_length if field.max_length is not None else DEFAULT_MAX_LENGTH[t]} karakter."
    return {
        "type": "Isian harus berupa teks.",
        "number": "Harus berupa angka.",
        "date": "Tanggal belum benar; pilih tanggal dari kalender.",
        "choice": "Pilih salah satu pilihan yang tersedia.",
        "choices": "Pilih hanya dari pilihan yang tersedia, masing-masing sekali.",
        "boolean": "Centang kotak ini atau biarkan kosong.",
        "nik": "NIK harus 16 angka.",
        "kk": "Nomor KK harus 16 angka.",
        "phone": "Format nomor HP belum benar, contoh 081234567890.",
        "email": "Format email belum benar, contoh nama@contoh.id.",
        "file": "Berkas belum terunggah dengan benar. Unggah ulang berkasnya.",
        "file_too_large": "Berkas terlalu besar; paling besar 5 MB.",
        "pattern": "Format isian belum sesuai.",
    }[code]


def validate_values(
    fields: Sequence[Field], values: Mapping[str, Any], today: dt.date | str
) -> dict[str, list[dict[str, str]]]:
    """Errors per field id, each `{"code", "message"}`, for the fields shown; {} when all is well.

    Hidden fields are neither required nor checked, and unknown keys are ignored: use
    `strip_hidden` to drop them before storing. `today` (ISO or a date) feeds `umur(...)`.
    """
    shown = visible_fields(fields, values, today)
    instance = {f.id: values[f.id] for f in shown if f.id in values and not _unfilled(f, values[f.id])}
    codes: dict[str, set[str]] = {f.id: set() for f in shown}
    for f in shown:
        if f.required and f.id not in instance:
            codes[f.id].add("required")
    by_id = {f.id: f for f in shown}
    schema = to_json_schema(shown, visible=by_id)
    for error in FormValidator(schema, format_checker=_FORMATS).iter_errors(instance):
        path = list(error.absolute_path)
        if not path:  # `required` at the top: counted above, with the type-specific message
            continue
        codes[path[0]].add(_error_code(by_id[path[0]], error))
    return {
        fid: [{"code": c, "message": error_message(c, by_id[fid])} for c in sorted(found, key=CODE_ORDER.index)]
        for fid, found in codes.items()
        if found
    }
