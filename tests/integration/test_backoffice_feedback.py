"""Back-office feedback where the eye is: a confirmation shows in the part of the page the
redirect lands on, a refused form comes back scrolled to its message (the form's address carries
the fragment), and the revision form names each requirement once."""

from __future__ import annotations

import re

from tests.integration.test_backoffice import REGION, office  # noqa: F401  (fixture)


def section(page_text: str, anchor: str) -> str:
    """The HTML of `<section …>` holding the element with id `anchor`."""
    start = page_text.index(f'id="{anchor}"')
    begin = page_text.rfind("<section", 0, start)
    return page_text[begin:page_text.index("</section>", start)]


def test_a_confirmation_shows_in_the_section_the_redirect_lands_on(office):  # noqa: F811
    page = office.act("dpmptsp", "start_review")
    assert page.status_code == 200 and page.history[0].headers["location"].endswith("#tindakan")
    assert 'class="flash"' in section(page.text, "tindakan"), "the confirmation is beside the actions, where the page lands"
    assert page.text.count('class="flash"') == 1

    page = office.check("dpmptsp", "pas_foto", "sesuai")
    assert page.status_code == 200 and page.history[0].headers["location"].endswith("#syarat-pas_foto")
    block = page.text[page.text.index('id="syarat-pas_foto"'):]
    assert block.index('class="flash"') < block.index("<form"), "the confirmation is in the requirement's block"


def test_refused_forms_come_back_scrolled_to_their_message(office):  # noqa: F811
    page = office.page("dpmptsp")
    actions = set(re.findall(r'action="([^"]+/tindakan[^"]*)"', page.text))
    checks = set(re.findall(r'action="([^"]+/persyaratan/([^"#]+)[^"]*)"', page.text))
    assert actions and all(a.endswith("#tindakan") for a in actions)
    assert checks and all(url.endswith(f"#syarat-{rid}") for url, rid in checks)


def test_the_revision_form_names_each_requirement_once(office):  # noqa: F811
    office.act("dpmptsp", "start_review")
    page = office.page("dpmptsp")
    form = page.text[page.text.index('id="aksi-request_revision"'):]
    form = form[:form.index("</details>")]
    labels = re.findall(r'<label class="field" for="n-[^"]+">([^<]+)</label>', form)
    assert labels and len(labels) == len(set(labels)), f"a label appears twice: {labels}"
    assert 'for="n-berkas_pas_foto"' in form and 'for="n-req:pas_foto"' not in form
