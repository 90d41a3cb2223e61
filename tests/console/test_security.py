"""Sessions, the login rate limit, the bounded failure journal, token comparison: on fake time."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from hotline.console import (
    ABSOLUTE_TIMEOUT,
    IDLE_TIMEOUT,
    ConsoleSession,
    LoginFailureLog,
    LoginLimiter,
    SessionStore,
    new_token,
    tokens_match,
)
from hotline.errors import InvalidArgument
from hotline.terminal import Operator, Role
from hotline.testing import FakeClock


def operator(name: str = "wash-op", language: str = "en") -> Operator:
    return Operator(
        name=name, role=Role.OPERATOR, language=language, signing_key=Ed25519PrivateKey.generate()
    )


# -- sessions -----------------------------------------------------------------


def test_a_session_is_found_by_its_token_only() -> None:
    sessions = SessionStore(FakeClock())
    token, session = sessions.create(operator())
    assert sessions.get(token) == session
    assert sessions.get(new_token()) is None
    assert sessions.get(None) is None
    assert sessions.get("") is None
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    assert session.csrf_token != token


def test_every_login_gets_a_fresh_token() -> None:
    sessions = SessionStore(FakeClock())
    tokens = {sessions.create(operator())[0] for _ in range(50)}
    assert len(tokens) == 50


def test_idle_timeout_ends_a_session_after_a_watch_without_activity() -> None:
    clock = FakeClock()
    sessions = SessionStore(clock)
    token, _ = sessions.create(operator())
    clock.advance(IDLE_TIMEOUT - 1)
    assert sessions.get(token) is not None  # activity: the idle clock restarts
    clock.advance(3 * 3600)  # 11 h after login, 3 h after the last activity
    assert sessions.get(token) is not None
    clock.advance(IDLE_TIMEOUT + 1)
    assert sessions.get(token) is None
    assert len(sessions) == 0  # and it is gone, not only refused


def test_background_reads_do_not_keep_a_session_alive() -> None:
    clock = FakeClock()
    sessions = SessionStore(clock)
    token, _ = sessions.create(operator())
    clock.advance(IDLE_TIMEOUT / 2)
    assert sessions.get(token, touch=False) is not None
    clock.advance(IDLE_TIMEOUT / 2 + 1)
    assert sessions.get(token, touch=False) is None


def test_absolute_timeout_ends_even_an_active_session() -> None:
    clock = FakeClock()
    sessions = SessionStore(clock)
    token, _ = sessions.create(operator())
    while clock.monotonic() - 1000.0 < ABSOLUTE_TIMEOUT - 3600:
        clock.advance(3600)
        assert sessions.get(token) is not None
    clock.advance(3601)
    assert sessions.get(token) is None


def test_logout_deletes_the_session() -> None:
    sessions = SessionStore(FakeClock())
    token, _ = sessions.create(operator())
    assert sessions.delete(token) is True
    assert sessions.get(token) is None
    assert sessions.delete(token) is False


def test_language_switch_keeps_the_session_and_refuses_unknown_languages() -> None:
    sessions = SessionStore(FakeClock())
    token, session = sessions.create(operator(language="en"))
    switched = sessions.set_language(token, "ru")
    assert switched.language == "ru"
    assert switched.csrf_token == session.csrf_token
    assert sessions.get(token) is not None
    with pytest.raises(InvalidArgument):
        sessions.set_language(token, "de")
    kept = sessions.get(token, touch=False)
    assert kept is not None
    assert kept.language == "ru"


def test_the_session_table_is_bounded() -> None:
    clock = FakeClock()
    sessions = SessionStore(clock, limit=3)
    tokens = []
    for _ in range(5):
        clock.advance(1)
        tokens.append(sessions.create(operator())[0])
    assert len(sessions) == 3
    assert [sessions.get(t, touch=False) is not None for t in tokens] == [
        False,
        False,
        True,
        True,
        True,
    ]


def test_a_session_checks_its_own_fields() -> None:
    # Programming errors are ValueError; an unknown language is InvalidArgument (one too).
    with pytest.raises(ValueError, match="CSRF"):
        ConsoleSession(operator=operator(), csrf_token="", language="en", created=1, last_seen=1)
    with pytest.raises(InvalidArgument):
        ConsoleSession(operator=operator(), csrf_token="x", language="xx", created=1, last_seen=1)
    with pytest.raises(ValueError, match="before"):
        ConsoleSession(operator=operator(), csrf_token="x", language="en", created=2, last_seen=1)


# -- CSRF token comparison ------------------------------------------------------


@given(st.text(max_size=50), st.text(min_size=1, max_size=50))
def test_tokens_match_is_plain_equality_for_non_empty_tokens(
    given_token: str, expected: str
) -> None:
    assert tokens_match(given_token, expected) == (given_token == expected and given_token != "")


def test_no_token_never_matches() -> None:
    assert not tokens_match(None, "abc")
    assert not tokens_match("", "")
    assert tokens_match("abc", "abc")


# -- login rate limit -------------------------------------------------------------


def fail(
    limiter: LoginLimiter, times: int, *, name: str = "wash-op", address: str = "10.0.0.1"
) -> None:
    for _ in range(times):
        limiter.attempt(name=name, address=address)


def test_five_failures_lock_the_name_for_a_minute() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock)
    fail(limiter, 4)
    assert limiter.retry_after(name="wash-op", address="10.0.0.1") == 0
    fail(limiter, 1)
    assert limiter.retry_after(name="wash-op", address="10.0.0.1") == pytest.approx(60)
    # The name is locked from any address, and the address for any name.
    assert limiter.retry_after(name="wash-op", address="10.0.0.2") == pytest.approx(60)
    assert limiter.retry_after(name="other", address="10.0.0.1") == pytest.approx(60)
    assert limiter.retry_after(name="other", address="10.0.0.2") == 0
    clock.advance(60.5)
    assert limiter.retry_after(name="wash-op", address="10.0.0.1") == 0


def test_each_further_failure_doubles_the_lockout_up_to_an_hour() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock)
    fail(limiter, 5)
    lockouts = []
    for _ in range(9):
        wait = limiter.retry_after(name="wash-op", address="10.0.0.1")
        lockouts.append(round(wait))
        clock.advance(wait + 1)
        fail(limiter, 1)
    assert lockouts == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]


def test_a_success_clears_the_name_and_the_address() -> None:
    limiter = LoginLimiter(FakeClock())
    fail(limiter, 4)
    limiter.succeeded(name="wash-op", address="10.0.0.1")
    assert limiter.failures(name="wash-op") == 0
    assert limiter.failures(address="10.0.0.1") == 0
    fail(limiter, 4)
    assert limiter.retry_after(name="wash-op", address="10.0.0.1") == 0


def test_failures_spread_wider_than_the_window_start_afresh() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock)
    for _ in range(10):
        fail(limiter, 1)
        clock.advance(15 * 60 + 1)
    assert limiter.failures(name="wash-op") == 1
    assert limiter.retry_after(name="wash-op", address="10.0.0.1") == 0


def test_the_limiter_forgets_harmless_names_to_stay_bounded() -> None:
    clock = FakeClock()
    limiter = LoginLimiter(clock, remembered=100)
    for index in range(1000):
        limiter.attempt(name=f"guess-{index}", address=f"10.0.{index // 250}.{index % 250}")
    assert limiter.failures(name="guess-999") == 1
    assert limiter.failures(name="guess-0") == 0  # forgotten, not kept for ever


@given(st.lists(st.sampled_from(["a", "b"]), max_size=30))
def test_never_more_than_five_failures_go_through_before_a_lockout(names: list[str]) -> None:
    limiter = LoginLimiter(FakeClock())
    allowed = 0
    for name in names:
        if limiter.retry_after(name=name, address="one address") == 0:
            allowed += 1
            limiter.attempt(name=name, address="one address")
    assert allowed <= 5


# -- failed logins in the journal ---------------------------------------------------


def test_failures_are_journaled_at_most_once_per_name_per_minute() -> None:
    clock = FakeClock()
    journaled: list[dict[str, object]] = []
    log = LoginFailureLog(clock, journaled.append)
    assert log.failed(name="wash-op", address="10.0.0.1") is True
    for _ in range(20):
        clock.advance(1)
        assert log.failed(name="wash-op", address="10.0.0.1") is False
    clock.advance(60)
    assert log.failed(name="wash-op", address="10.0.0.1") is True
    assert journaled == [
        {"name": "wash-op", "address": "10.0.0.1"},
        {
            "name": "wash-op",
            "address": "10.0.0.1",
            "suppressed_for_name": 20,
            "suppressed_overall": 20,
        },
    ]


def test_many_names_cannot_flood_the_journal() -> None:
    clock = FakeClock()
    journaled: list[dict[str, object]] = []
    log = LoginFailureLog(clock, journaled.append, per_minute=30)
    for index in range(10_000):
        log.failed(name=f"guess-{index}", address="10.0.0.1")
    assert len(journaled) == 30
    clock.advance(61)
    log.failed(name="late", address="10.0.0.1")
    assert journaled[-1]["suppressed_overall"] == 10_000 - 30
