"""Fields that ask for what people know: the region's kecamatan and the agency's service points are
offered as choices (never Kemendagri codes or free text), and option labels keep acronyms."""

from __future__ import annotations

from server.catalog.formspec import REGION_PATTERN, normalize_seed_fields, option_label
from server.catalog.models import Agency, Region
from server.catalog.seed import agencies_for, template_of, seed_services
from server.catalog.service import region_doc


def test_a_seed_region_field_is_a_district_picker_whose_help_names_no_codes():
    (field,) = normalize_seed_fields([{"id": "wilayah_tempat_praktik", "label_id": "Wilayah", "type": "region"}])
    assert (field.type, field.pattern, field.picker) == ("text", REGION_PATTERN, "district")
    assert "33.74" not in (field.help_id or "") and "kode" not in (field.help_id or "").lower()


def test_the_pickup_place_is_a_service_point_picker():
    (field,) = normalize_seed_fields([{"id": "lokasi_pengambilan", "label_id": "Lokasi", "type": "select"}])
    assert field.picker == "service_point"


def test_option_labels_keep_acronyms_in_capitals():
    assert option_label("asn") == "ASN"
    assert option_label("non_asn") == "Non ASN"
    assert option_label("membentuk_keluarga_baru") == "Membentuk keluarga baru"


def test_the_region_doc_carries_its_kecamatan_and_the_agencies_service_points():
    region = Region(code="21.71", name="Kota Batam", kind="kota", province_code="21", province_name="Kepulauan Riau")
    agencies = [Agency(id=i, region_code="21.71", **spec) for i, spec in enumerate(agencies_for("Kota Batam"), 1)]
    doc = region_doc(region, agencies)
    names = {d["code"]: d["name"] for d in doc["districts"]}
    assert len(names) == 12 and all(code.startswith("21.71.") for code in names)
    capil = next(a for a in doc["agencies"] if a["kind"] == "disdukcapil")
    assert capil["locations"][0]["counters"] == ["Loket Disdukcapil 1", "Loket Disdukcapil 2"]
    assert capil["locations"][0]["hours"]


def test_requirements_to_show_in_the_original_are_marked_for_the_ktp_el():
    seed = next(s for s in seed_services() if s["id"] == "adminduk-ktp-el")
    requirements = {r["id"]: r for r in template_of(seed)["requirements"]}
    assert requirements["kk"]["bring_original"] is True and requirements["kk"]["source"] == "ikd"
    assert all(isinstance(r["bring_original"], bool) for r in requirements.values())
