"""Checks a newcomer's walk holds on every screen: nothing wider than the screen, the screen's
first heading in view after each navigation, every error message in view when it shows, and
no WCAG A/AA violation (axe). Used by tests/e2e/test_newcomer_journeys.py."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible

IN_VIEW = """(el) => { const r = el.getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; }"""


WIDE = """() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
  .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + e.className : ''}`)"""


def assert_no_overflow(page, where: str) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{where}: the page is {width} px wide on a {inner} px screen; too wide: {page.evaluate(WIDE)}"


def assert_in_view(locator, what: str) -> None:
    """Wholly on the screen once the screen has settled (waited for: a new screen may still be scrolling into place)."""
    expect(locator).to_be_visible()
    try:
        expect(locator).to_be_in_viewport(ratio=1)
    except AssertionError:
        pass  # the message below says where it is
    assert locator.evaluate(IN_VIEW), f"{what} is not in view: {locator.evaluate('(el) => JSON.stringify(el.getBoundingClientRect())')}"


def assert_heading_in_view(page, where: str) -> None:
    heading = page.locator("main h1, body > main h1").first
    assert_in_view(heading, f"{where}: the first heading")


def screen(page, where: str, *, axe: bool = True) -> None:
    """The checks every screen of a journey passes once it has settled."""
    assert_no_overflow(page, where)
    assert_heading_in_view(page, where)
    if axe:
        assert_accessible(page, where)


def errors_in_view(page, selector: str, where: str) -> None:
    """Every non-empty error message matching `selector` that is shown is in view... at least the first
    one, which is where the screen brings the person; the rest are reached from it by scrolling."""
    shown = [m for m in page.locator(selector).all() if m.is_visible() and m.inner_text().strip()]
    assert shown, f"{where}: no error message shown"
    assert_in_view(shown[0], f"{where}: the first error message")
