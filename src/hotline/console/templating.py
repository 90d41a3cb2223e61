"""The console's HTML: Jinja2 templates, autoescaped, one environment per language.

Each interface language gets its own :class:`jinja2.Environment` with that
language's catalogue installed, built once when the app is made. Nothing is
switched per request, so two operators reading in two languages at the same
moment cannot see each other's words.

The pages carry no inline script or style (the Content-Security-Policy forbids
both): behaviour is in ``static/console.js``, looks in ``static/console.css``,
and data the script needs travels in ``<script type="application/json">``
blocks, which browsers never execute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hotline.console.i18n import Catalogues

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "PageRenderer"]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


class PageRenderer:
    """Renders a template in a language."""

    def __init__(self, catalogues: Catalogues, directory: Path = TEMPLATE_DIR) -> None:
        self._environments: dict[str, Environment] = {}
        for language in catalogues.languages:
            environment = Environment(
                loader=FileSystemLoader(directory),
                autoescape=select_autoescape(["html"], default_for_string=True),
                undefined=StrictUndefined,  # a missing value is a bug, not an empty space
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            # Added by the i18n extension at run time, so unknown to the type checker.
            cast(Any, environment).install_gettext_translations(
                catalogues.translations(language), newstyle=True
            )
            self._environments[language] = environment

    def render(self, template: str, /, *, language: str, **context: Any) -> str:
        """Render ``template`` in ``language`` (also passed to it as ``language``)."""
        return (
            self._environments[language].get_template(template).render(language=language, **context)
        )
