"""Accessibility checks with axe-core (the npm package the project pins) on a Playwright page.

`assert_accessible(page)` injects node_modules/axe-core/axe.min.js into the page, runs it for
the WCAG 2.0, 2.1 and 2.2 A and AA rules, and fails with each violation's rule, impact and
the elements it found, so the message says what to fix and where.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

RUN = """async (tags) => {
  const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 200), summary: n.failureSummary })),
    count: v.nodes.length,
  }));
}"""


@cache
def _source() -> str:
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make setup` (axe-core is a pinned devDependency)")
    return AXE.read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """The WCAG A/AA violations axe finds on the page as it is now."""
    if not page.evaluate("Boolean(window.axe)"):
        page.add_script_tag(content=_source())
    return page.evaluate(RUN, WCAG_TAGS)


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} — {v['count']} element(s)")
        for node in v["nodes"]:
            lines.append(f"    {node['target']}: {node['html']}")
            if node["summary"]:
                lines.append("      " + node["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page, where: str = "") -> None:
    """Fail with rule and element for every WCAG 2.0/2.1/2.2 A or AA violation on the page."""
    found = violations(page)
    assert not found, f"axe found {len(found)} violation(s) on {where or page.url}:\n{describe(found)}"
