"""``Backoff``: capped exponential redial delays, with jitter drawn from an injected source."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.link import Backoff


def delays(backoff: Backoff, count: int) -> list[float]:
    return [backoff.next_delay() for _ in range(count)]


def test_without_jitter_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(initial=0.1, factor=2.0, cap=2.0, jitter=0.0)
    assert delays(backoff, 7) == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0])
    assert backoff.failures == 7


def test_reset_starts_again_from_initial() -> None:
    backoff = Backoff(initial=0.5, factor=3.0, cap=10.0, jitter=0.0)
    assert delays(backoff, 3) == pytest.approx([0.5, 1.5, 4.5])
    backoff.reset()
    assert backoff.failures == 0
    assert backoff.next_delay() == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("draw", "expected"),
    [(0.0, [1.0, 2.0, 4.0]), (1.0, [0.75, 1.5, 3.0]), (0.5, [0.875, 1.75, 3.5])],
)
def test_jitter_scales_down_by_the_injected_draw(draw: float, expected: list[float]) -> None:
    backoff = Backoff(initial=1.0, factor=2.0, cap=8.0, jitter=0.25, uniform=lambda: draw)
    assert delays(backoff, 3) == pytest.approx(expected)


def test_one_draw_per_delay() -> None:
    draws = iter([0.0, 1.0, 0.0, 1.0])
    calls: list[float] = []

    def uniform() -> float:
        calls.append(value := next(draws))
        return value

    backoff = Backoff(initial=1.0, factor=2.0, cap=100.0, jitter=0.5, uniform=uniform)
    assert delays(backoff, 4) == pytest.approx([1.0, 1.0, 4.0, 4.0])
    assert len(calls) == 4


@given(
    initial=st.floats(min_value=0.001, max_value=10),
    factor=st.floats(min_value=1.0, max_value=10),
    cap_over_initial=st.floats(min_value=1.0, max_value=1000),
    jitter=st.floats(min_value=0.0, max_value=0.99),
    draws=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40),
)
def test_every_delay_is_the_capped_exponential_less_its_jitter(
    initial: float,
    factor: float,
    cap_over_initial: float,
    jitter: float,
    draws: list[float],
) -> None:
    cap = initial * cap_over_initial
    source = iter(draws)
    backoff = Backoff(
        initial=initial, factor=factor, cap=cap, jitter=jitter, uniform=lambda: next(source)
    )
    for failures, draw in enumerate(draws):
        raw = min(cap, initial * factor**failures)
        delay = backoff.next_delay()
        assert delay == pytest.approx(raw * (1 - jitter * draw))
        assert 0 < delay <= cap * (1 + 1e-9)


def test_a_long_outage_keeps_the_delay_at_the_cap() -> None:
    # With the defaults (cap 2 s) 1,100 failures is about half an hour of a dead peer.
    backoff = Backoff(jitter=0.0)
    assert delays(backoff, 1100)[-1] == pytest.approx(backoff.cap)


@pytest.mark.parametrize(
    "arguments",
    [
        {"initial": 0.0},
        {"initial": 3.0, "cap": 2.0},
        {"factor": 0.5},
        {"jitter": 1.0},
        {"jitter": -0.1},
    ],
)
def test_bad_parameters_are_config_errors(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**arguments)  # type: ignore[arg-type]
