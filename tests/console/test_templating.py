"""Templates: autoescaped, strict about missing values, one environment per language."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import UndefinedError

from hotline.console import PageRenderer, load_catalogues


@pytest.fixture
def renderer(tmp_path: Path) -> PageRenderer:
    (tmp_path / "probe.html").write_text(
        '<p lang="{{ language }}">{{ _("Traffic") }}: {{ value }}</p>', encoding="utf-8"
    )
    return PageRenderer(load_catalogues(), tmp_path)


def test_each_language_renders_its_own_words(renderer: PageRenderer) -> None:
    assert renderer.render("probe.html", language="en", value="x") == '<p lang="en">Traffic: x</p>'
    assert (
        renderer.render("probe.html", language="id", value="x") == '<p lang="id">Lalu lintas: x</p>'
    )
    assert renderer.render("probe.html", language="ru", value="x") == '<p lang="ru">Трафик: x</p>'


def test_values_are_escaped(renderer: PageRenderer) -> None:
    html = renderer.render("probe.html", language="en", value="<script>alert(1)</script>")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_missing_value_is_an_error_not_a_blank(renderer: PageRenderer) -> None:
    with pytest.raises(UndefinedError):
        renderer.render("probe.html", language="en")
