"""The browser guard: without chromium the browser tests skip on a workstation and fail in CI."""

from __future__ import annotations

import pytest

from . import pages


def test_a_missing_browser_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        pages.require_browser()


def test_a_missing_browser_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run in CI"):
        pages.require_browser()


def test_an_installed_browser_passes_the_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("playwright")
    monkeypatch.setattr(pages, "CHROMIUM", __file__)  # any existing file stands in
    monkeypatch.setenv("CI", "true")
    pages.require_browser()
