"""Passkeys in a real browser: a resident enrols, signs out, signs in again, stays signed in offline;
a staff member enrols through a one-time link and reaches the back office."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_offline_shell import visit_until_controlled
from tests.factories import run


def add_authenticator(context, page):
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return cdp


@pytest.fixture
def resident(live_server):
    from identity.synthetic import sample_resident
    from server.db import make_engine

    async def pick():
        engine = make_engine(live_server.env["DATABASE_URL"])
        try:
            return await sample_resident(engine, "33.02")
        finally:
            await engine.dispose()

    return run(pick())


def test_resident_enrols_signs_out_signs_in_and_stays_signed_in_offline(browser, live_server, resident):
    context = browser.new_context(locale="id-ID")
    try:
        page = context.new_page()
        add_authenticator(context, page)
        visit_until_controlled(page, live_server.url)
        page.goto(live_server.url + "/#/daftar")
        page.fill("#nik", resident.nik)
        page.fill("#full_name", resident.full_name.lower())  # case does not matter
        page.fill("#birth_date", resident.birth_date.isoformat())
        page.fill("#birth_place", resident.birth_place)
        page.get_by_role("button", name="Cocokkan data dan lanjut").click()
        page.wait_for_selector("#recovery-codes")
        assert page.locator("#recovery-codes li").count() == 10
        page.get_by_role("button", name="Saya sudah menyimpan kode ini").click()
        page.wait_for_selector("#account")
        assert "Masuk sebagai" in page.locator("#account").inner_text()

        page.goto(live_server.url + "/#/perangkat")
        page.wait_for_selector("#devices li")
        page.locator("#signout").click()
        page.wait_for_function("document.querySelector('#account')?.textContent.includes('Masuk atau daftar')")

        page.goto(live_server.url + "/#/masuk")
        page.locator("#signin").click()
        page.wait_for_function("document.querySelector('#account')?.textContent.includes('Masuk sebagai')")
        assert page.evaluate("fetch('/api/identity/me').then(r => r.json())")["signed_in"] is True

        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#account")
        assert "Masuk sebagai" in page.locator("#account").inner_text()
    finally:
        context.close()


def test_enrolment_with_data_that_does_not_match_is_refused_with_a_clear_message(browser, live_server, resident):
    context = browser.new_context(locale="id-ID")
    try:
        page = context.new_page()
        add_authenticator(context, page)
        page.goto(live_server.url + "/#/daftar")
        page.fill("#nik", resident.nik)
        page.fill("#full_name", "NAMA YANG SALAH")
        page.fill("#birth_date", resident.birth_date.isoformat())
        page.fill("#birth_place", resident.birth_place)
        page.get_by_role("button", name="Cocokkan data dan lanjut").click()
        expect(page.locator("#enroll-msg")).to_contain_text("tidak cocok dengan data kependudukan")
    finally:
        context.close()


def test_staff_member_enrols_through_a_one_time_link_and_signs_in(browser, live_server):
    from server.accounts.admin import create_first_admin
    from server.settings import Settings

    settings = Settings.from_env(live_server.env)
    link = run(create_first_admin(settings, name="Admin Batam", role="region_admin", region="21.71"))
    assert link.startswith(live_server.url + "/backoffice/daftar#kode=")

    context = browser.new_context(locale="id-ID")
    try:
        page = context.new_page()
        add_authenticator(context, page)
        page.goto(link)
        page.get_by_role("button", name="Buat passkey").click()
        page.wait_for_url(live_server.url + "/backoffice")
        assert "Admin MPP daerah" in page.content() and "Kota Batam" in page.content()

        # the link works once only
        other = context.new_page()
        other.goto(link)
        other.get_by_role("button", name="Buat passkey").click()
        expect(other.locator("#passkey-status")).to_contain_text("Kode tidak berlaku")

        page.get_by_role("button", name="Keluar").click()
        page.wait_for_url("**/backoffice/masuk")
        page.get_by_role("button", name="Masuk dengan passkey").click()
        page.wait_for_url(live_server.url + "/backoffice")
    finally:
        context.close()
