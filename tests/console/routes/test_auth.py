"""The login form for real: Argon2id passwords, the double-submit cookie, the rate limit, logout."""

from __future__ import annotations

import dataclasses
import re

import httpx

from hotline.console import LOGIN_CSRF_COOKIE, SESSION_COOKIE

from ..conftest import PASSWORD, ConsoleClient, Pair


def form_token(response: httpx.Response) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match is not None
    return match.group(1)


def log_in(
    console: ConsoleClient, name: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    """Fill in and submit the login form, as a browser does."""
    token = form_token(console.get("/login"))
    return console.client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, **extra}
    )


def journal_kinds(console: ConsoleClient, kind: str) -> list[dict[str, object]]:
    entries = console.on_loop(lambda: list(console.terminal.store.iter_journal()))
    return [entry.data for entry in entries if entry.kind == kind]


def cookie_header(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie set")


def test_the_login_page_has_the_form_and_a_double_submit_cookie(pair: Pair) -> None:
    response = pair.washington.get("/login")
    assert response.status_code == 200
    for hook in ('id="login-name"', 'id="login-password"', 'id="login-submit"'):
        assert hook in response.text
    assert 'id="login-error"' not in response.text
    cookie = cookie_header(response, LOGIN_CSRF_COOKIE)
    assert f"{LOGIN_CSRF_COOKIE}={form_token(response)}" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


def test_a_good_login_opens_a_session_with_a_strict_cookie(pair: Pair) -> None:
    console = pair.washington
    response = log_in(console, "wash-op")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = cookie_header(response, SESSION_COOKIE)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on a private address (docs/console.md)
    assert console.get("/api/status").status_code == 200
    assert len(console.state.sessions) == 1
    assert journal_kinds(console, "console login") == [
        {"name": "wash-op", "role": "operator", "address": "testclient"}
    ]


def test_a_login_always_starts_a_fresh_session(pair: Pair) -> None:
    console = pair.washington
    console.set_cookie("planted-by-someone-else")
    assert log_in(console, "wash-op").status_code == 303
    old = console.cookie()
    assert old is not None
    assert old != "planted-by-someone-else"
    # Logging in again over a live session replaces it: the old token is dead.
    console.client.cookies.delete(SESSION_COOKIE)
    token = form_token(console.get("/login"))
    console.set_cookie(old)
    response = console.client.post(
        "/login", data={"name": "wash-principal", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert console.cookie() != old
    assert console.on_loop(lambda: console.state.sessions.get(old, touch=False)) is None
    assert len(console.state.sessions) == 1


def test_login_without_the_double_submit_cookie_is_refused(pair: Pair) -> None:
    console = pair.washington
    token = form_token(console.get("/login"))
    console.client.cookies.delete(LOGIN_CSRF_COOKIE)
    response = console.client.post(
        "/login", data={"name": "wash-op", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403
    assert 'id="login-error"' in response.text
    assert SESSION_COOKIE not in response.cookies
    wrong = log_in(console, "wash-op", csrf_token="forged")
    assert wrong.status_code == 403
    assert len(console.state.sessions) == 0


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(pair: Pair) -> None:
    console = pair.washington
    wrong_password = log_in(console, "wash-op", "not the password at all")
    unknown_user = log_in(console, "nobody-here", PASSWORD)
    for response in (wrong_password, unknown_user):
        assert response.status_code == 401
        assert 'id="login-error"' in response.text
        assert "Wrong name or password." in response.text
        assert SESSION_COOKIE not in response.cookies
    assert 'value="wash-op"' in wrong_password.text  # the name stays filled in


def test_wrong_passwords_are_rate_limited_after_five(pair: Pair) -> None:
    console = pair.washington
    statuses = [log_in(console, "wash-op", f"wrong password {n}").status_code for n in range(5)]
    assert statuses == [401] * 5
    limited = log_in(console, "wash-op", "wrong password 6")
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "60"
    assert 'id="login-error"' in limited.text
    assert "Too many failed logins" in limited.text
    # Even the right password waits out the lockout ...
    assert log_in(console, "wash-op").status_code == 429
    # ... and so does another name from the same address.
    assert log_in(console, "wash-principal").status_code == 429
    console.clock.advance(61)
    assert log_in(console, "wash-op").status_code == 303


def test_failed_logins_reach_the_journal_at_most_once_a_minute_per_name(pair: Pair) -> None:
    console = pair.washington
    for n in range(4):
        log_in(console, "wash-op", f"wrong password {n}")
    assert journal_kinds(console, "console login failed") == [
        {"name": "wash-op", "address": "testclient"}
    ]


def test_the_rate_limit_message_is_in_the_readers_language(pair: Pair) -> None:
    console = pair.washington
    for n in range(6):
        response = log_in(console, "wash-op", f"wrong {n}", lang="ru")
    assert response.status_code == 429
    assert "Слишком много неудачных попыток входа" in response.text


def test_a_disabled_account_cannot_log_in(pair: Pair) -> None:
    console = pair.washington
    store = console.terminal.store

    def disable() -> None:
        user = store.get_user("wash-op")
        assert user is not None
        store.update_user(dataclasses.replace(user, disabled=True))

    console.on_loop(disable)
    assert log_in(console, "wash-op").status_code == 401


def test_logout_ends_the_session(pair: Pair) -> None:
    console = pair.washington
    assert log_in(console, "wash-op").status_code == 303
    token = console.cookie()
    assert token is not None
    csrf = console.page_csrf(console.get("/").text)
    response = console.client.post("/logout", data={"csrf_token": csrf})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert console.on_loop(lambda: console.state.sessions.get(token, touch=False)) is None
    console.set_cookie(token)  # a copied cookie is worth nothing now
    assert console.get("/api/status").status_code == 401
    assert journal_kinds(console, "console logout") == [{"name": "wash-op"}]


def test_login_returns_to_the_page_asked_for_but_never_elsewhere(pair: Pair) -> None:
    console = pair.washington
    redirect = console.get("/shift")
    assert redirect.headers["location"] == "/login?next=/shift"
    assert log_in(console, "wash-op", next="/shift").headers["location"] == "/shift"
    console.logout_locally()
    assert log_in(console, "wash-op", next="//evil.example/").headers["location"] == "/"
    console.logout_locally()
    assert log_in(console, "wash-op", next="https://evil.example/").headers["location"] == "/"


def test_a_logged_in_user_is_sent_on_from_the_login_page(wash: ConsoleClient) -> None:
    response = wash.get("/login")
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_the_login_page_speaks_the_browsers_language_or_the_one_chosen(pair: Pair) -> None:
    console = pair.washington
    russian = console.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in russian.text
    assert "Войти" in russian.text
    indonesian = console.get("/login?lang=id", headers={"Accept-Language": "ru"})
    assert '<html lang="id">' in indonesian.text
    assert "Kata sandi" in indonesian.text
