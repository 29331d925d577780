"""A device pulls its region's catalog once, then opens service forms with no signal at all."""

from __future__ import annotations

import httpx

from tests.e2e.test_offline_shell import visit_until_controlled


def test_catalog_pull_then_offline_form_with_working_conditions(page, context, live_server):
    # the 39 seeded services, plus any a test in the same session published in the region
    offered = len(httpx.get(live_server.url + "/api/regions/21.71/services", timeout=30).json())
    assert offered >= 39
    spec = httpx.get(live_server.url + "/api/regions/21.71/services/nakes-sip-bidan", timeout=30).json()["content"]["form_fields"]
    documents = [f for f in spec if f.get("requirement")]
    assert len(spec) == 20 and len(documents) == 6  # 14 questions, one document field per uploaded requirement
    visit_until_controlled(page, live_server.url)
    page.goto(live_server.url + "/#/wilayah")
    page.locator("[data-region='21.71']").click()
    page.wait_for_function(f"document.querySelector('#service-count')?.textContent.startsWith('{offered} layanan')", timeout=30000)
    assert "diperbarui" in page.locator("#catalog-status").inner_text()

    context.set_offline(True)
    page.reload()
    page.goto(live_server.url + "/#/ajukan/21.71/nakes-sip-bidan")
    page.wait_for_selector("[data-field='jenis_permohonan']")
    assert page.locator("h1").inner_text() == "Surat Izin Praktik (SIP) Bidan"
    assert page.locator("[data-field]").count() == len(spec)

    page.locator("#requirements-box summary").click()  # what to prepare, above the form, folded
    skp = page.locator("[data-requirement='bukti_kecukupan_skp']")
    previous = page.locator("[data-requirement='sip_sebelumnya']")
    assert skp.is_hidden() and previous.is_hidden()
    page.select_option("#f-jenis_permohonan", "perpanjangan")
    assert skp.is_visible()
    page.select_option("#f-urutan_sip", "2")
    assert previous.is_visible()
    page.select_option("#f-jenis_permohonan", "baru")
    assert skp.is_hidden()

    page.fill("#f-nik", "12345")
    assert "16" in page.locator("#f-nik-msg").inner_text()
    page.get_by_role("button", name="Periksa isian").click()
    assert page.locator("#form-check").inner_text().startswith("Masih ada")
    assert "Tanpa sinyal" in page.locator("#net").inner_text()
