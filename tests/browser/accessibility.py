"""WCAG 2.2 AA in the browser tests: axe-core (npm, tests/browser/axe/) run on the page as drawn.

The script goes in through the DevTools protocol (page.evaluate), so the pages keep their own
content security policy. A serious or critical violation fails the test, naming the rule, the
elements and axe's own explanation.
"""

from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING = {"serious", "critical"}


@cache
def _axe_source() -> str:
    if not AXE.exists():
        raise AssertionError(
            f"{AXE} is missing: `make test` installs it (npm ci in tests/browser/axe)"
        )
    return AXE.read_text()


def violations(page) -> list[dict]:
    """axe's violations on the page now, serious and critical ones only."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [v for v in result["violations"] if v["impact"] in FAILING]


def assert_accessible(page, where: str) -> None:
    found = violations(page)
    if found:
        lines = [f"{where}: {len(found)} serious or critical WCAG 2.2 AA violation(s)"]
        for violation in found:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"][:5]:
                lines.append(f"    {' '.join(node['target'])}: {node['failureSummary'][:300]}")
        raise AssertionError("\n".join(lines))
