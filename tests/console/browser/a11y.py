"""axe-core in the page, and the pages of the console to check with it.

axe-core is vendored under ``vendor/axe-core/`` (the npm package's ``axe.min.js``
with its licence, MPL-2.0): the tests never fetch it, and the console never
serves it. It is evaluated into the page through the DevTools protocol, which
the console's Content-Security-Policy (``script-src 'self'``) does not govern.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = [
    "AXE_VERSION",
    "BLOCKING",
    "LANGUAGES",
    "PHONE_WIDTHS",
    "AxeResult",
    "axe_source",
    "run_axe",
]

_AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"

#: The vendored release (``npm pack axe-core``).
AXE_VERSION = "4.14.1"

#: The impacts that fail the suite; "moderate" and "minor" are reported, not failed.
BLOCKING = frozenset({"serious", "critical"})

#: The console's languages, each checked page by page.
LANGUAGES = ("en", "ru", "id")

#: Phone widths (CSS px) at which no page may scroll sideways.
PHONE_WIDTHS = (360, 390, 414)

#: WCAG 2.0/2.1 A and AA, and axe's best practices (one h1, landmarks, regions).
_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@functools.cache
def axe_source() -> str:
    return _AXE.read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class AxeResult:
    """What axe found on one page: its violations (rule, impact, nodes)."""

    url: str
    violations: tuple[dict[str, Any], ...]

    def count(self, impact: str) -> int:
        """Violating nodes of ``impact``, over all rules."""
        return sum(len(v["nodes"]) for v in self.violations if v["impact"] == impact)

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [v for v in self.violations if v["impact"] in BLOCKING]

    def figures(self) -> str:
        """ "critical 0 · serious 0 · moderate 0 · minor 0" (violating nodes)."""
        impacts = ("critical", "serious", "moderate", "minor")
        return " · ".join(f"{impact} {self.count(impact)}" for impact in impacts)

    def describe(self) -> str:
        """Each blocking rule with its nodes' selectors and axe's summary: a failure message."""
        lines = [f"{self.url}: {self.figures()}"]
        for violation in self.blocking:
            lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']}")
            for node in violation["nodes"][:5]:
                lines.append(f"    {node['target']}: {node.get('failureSummary', '')!r}")
        return "\n".join(lines)


def run_axe(page: Page) -> AxeResult:
    """Run axe-core over the whole page as it stands now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                               resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                          failureSummary: n.failureSummary}))}));
        }""",
        _TAGS,
    )
    return AxeResult(url=page.url, violations=tuple(result))
