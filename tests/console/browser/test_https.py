"""The console over HTTPS in real Chromium: the certificate init made, Secure cookies, HSTS."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

from hotline.console import HSTS
from hotline.terminal.config import certificate_fingerprint, console_certificate_path
from hotline.terminal.config.paths import TerminalPaths

from .harness import ConsolePair
from .pages import login, require_browser

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page  # noqa: E402


def test_the_console_is_served_over_https_with_secure_cookies(
    consoles: ConsolePair, new_page: Callable[[], Page]
) -> None:
    url = consoles.url("wash-op")
    assert url.startswith("https://")
    page = new_page()
    answer = page.goto(f"{url}/login")
    assert answer is not None
    assert answer.headers["strict-transport-security"] == HSTS
    details = answer.security_details()
    assert details is not None
    assert details.get("subjectName") == "hotline console"
    login(page, url, consoles.users["wash-op"])
    cookies = page.context.cookies()
    assert cookies, "logging in sets the session cookie"
    assert all(cookie["secure"] for cookie in cookies), cookies
    # The certificate served is the one init made, whose fingerprint it printed.
    where = urlsplit(url)
    assert where.hostname is not None
    assert where.port is not None
    served = ssl.get_server_certificate((where.hostname, where.port)).encode()
    made, _ = console_certificate_path(TerminalPaths(consoles.washington.directory))
    assert certificate_fingerprint(served) == certificate_fingerprint(made.read_bytes())
