"""Acknowledgement deadlines: overdue on both sides, resent on every route, escalation in order."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from hotline.crypto import Precedence
from hotline.errors import ConfigError
from hotline.terminal import Terminal, load_settings
from hotline.terminal.config import AckDeadlines, EscalationStep, render_settings
from hotline.terminal.config.settings import DEFAULT_DEADLINES
from hotline.terminal.core.ackdeadline import ack_within_of
from hotline.terminal.core.outbox import decode_body
from hotline.terminal.desks.accounts import authenticate, create_user
from hotline.terminal.desks.acks import AckDesk
from hotline.terminal.desks.deadlines import DeadlineWatch
from hotline.testing import run_virtual, virtual_clock
from hotline.utc import parse_utc
from tests.terminal.helpers import make_pair, wait_until

PASSWORD = "correct horse battery"


def _configure(directory: Path, hooks: Path) -> None:
    config = directory / "hotline.toml"
    settings = load_settings(config)
    settings = dataclasses.replace(
        settings,
        acknowledgement=AckDeadlines(
            seconds={**DEFAULT_DEADLINES, "flash": 1.0},
            escalation=(
                EscalationStep(who="watch officer", after=0, repeat=2, every=0.4),
                EscalationStep(who="duty general", after=0.6, repeat=1),
            ),
        ),
        alarms=dataclasses.replace(
            settings.alarms, hook=f"cat > \"$(mktemp -p '{hooks}' hook.XXXXXX)\""
        ),
    )
    config.write_text(render_settings(settings), encoding="utf-8")
    assert load_settings(config).acknowledgement == settings.acknowledgement  # round trip


def _events(hooks: Path) -> list[dict[str, object]]:
    found = []
    for path in hooks.iterdir():
        text = path.read_text()
        if text:
            found.append(json.loads(text))
    return found


def test_an_unacknowledged_flash_goes_overdue_on_both_sides_and_escalates(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)
    hooks = {"w": tmp_path / "w-hooks", "m": tmp_path / "m-hooks"}
    for key, directory in (("w", washington_dir), ("m", moscow_dir)):
        hooks[key].mkdir()
        _configure(directory, hooks[key])

    async def main() -> None:
        washington, moscow = (
            Terminal.open(washington_dir, clock=virtual_clock()),
            Terminal.open(moscow_dir, clock=virtual_clock()),
        )
        await washington.start()
        await moscow.start()
        try:
            create_user(
                moscow.store, moscow.clock, name="ivanov", role="operator", password=PASSWORD
            )
            routine = washington.send_text(to="Moscow", text="No hurry.")
            flash = washington.send_text(
                to="Moscow", text="Answer at once.", precedence=Precedence.FLASH
            )
            await wait_until(
                lambda: (
                    washington.desk(DeadlineWatch).is_overdue(flash.id)
                    and moscow.desk(DeadlineWatch).is_overdue(flash.id)
                ),
                what="overdue on both sides",
            )
            assert not washington.desk(DeadlineWatch).is_overdue(routine.id)  # 24 h to go
            for terminal in (washington, moscow):
                [alarm] = terminal.alarms.open_alarms()
                assert alarm.kind == "ack-overdue"
                assert flash.id in alarm.detail
            [overdue] = [
                e.data for e in washington.store.iter_journal() if e.kind == "message overdue"
            ]
            assert overdue["resent_on_routes"] == 1  # sent again on every live route
            # The chain runs in order: officer, officer again 0.4 s later, the general at 0.6 s.
            await wait_until(
                lambda: (
                    sum(1 for e in washington.store.iter_journal() if e.kind == "escalation") == 3
                ),
                what="three escalation alerts",
            )
            steps = [
                (e.data["step"], e.data["round"], e.data["who"])
                for e in washington.store.iter_journal()
                if e.kind == "escalation"
            ]
            assert steps == [
                (1, 1, "watch officer"),
                (1, 2, "watch officer"),
                (2, 1, "duty general"),
            ]
            # Moscow's nobody-has-read-it alarm escalates on Moscow's side too.
            await wait_until(
                lambda: sum(1 for e in moscow.store.iter_journal() if e.kind == "escalation") == 3
            )
            # Ivanov acknowledges: both watches end, both alarms clear.
            moscow.desk(AckDesk).acknowledge(
                flash.id, authenticate(moscow.store, "ivanov", PASSWORD)
            )
            await wait_until(
                lambda: washington.alarms.open_alarms() == [] and moscow.alarms.open_alarms() == [],
                what="alarms cleared by the acknowledgement",
            )
            assert not washington.desk(DeadlineWatch).is_overdue(flash.id)
            for terminal in (washington, moscow):
                await terminal.alarms.drain(within=5.0)  # every hook started has written
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())
    events = _events(hooks["w"])
    escalations = sorted(
        (e for e in events if e["event"] == "escalation"), key=lambda e: str(e["at"])
    )
    assert [(e["step"], e["round"]) for e in escalations] == [(1, 1), (1, 2), (2, 1)]
    assert {e["who"] for e in escalations} == {"watch officer", "duty general"}
    assert {(e["event"], e.get("kind")) for e in events} >= {
        ("raised", "ack-overdue"),
        ("cleared", "ack-overdue"),
    }


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"seconds": {**DEFAULT_DEADLINES, "flash": 0.0}}, "flash must be"),
        ({"seconds": {"flash": 60.0}}, "needs exactly"),
    ],
)
def test_bad_deadlines(change: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        AckDeadlines(**change)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("step", "match"),
    [
        ({"who": " "}, "must name someone"),
        ({"who": "x", "every": 0}, "every > 0"),
        ({"who": "x", "repeat": 0}, "repeat must be"),
    ],
)
def test_bad_escalation_steps(step: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        EscalationStep(**step)  # type: ignore[arg-type]


def test_the_watch_is_bounded_and_says_so_when_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline.terminal.desks.deadlines import watch as deadlines

    monkeypatch.setattr(deadlines, "MAX_WATCHES", 2)
    washington_dir, _ = make_pair(tmp_path)

    async def main() -> None:
        terminal = Terminal.open(washington_dir, clock=virtual_clock())
        await terminal.start()
        try:
            sent = [terminal.send_text(to="Moscow", text=f"m{i}") for i in range(4)]
            watched = set(terminal.desk(DeadlineWatch).pending())
            assert watched == {sent[0].id, sent[1].id}
            full = [
                e.data for e in terminal.store.iter_journal() if e.kind == "deadline watch full"
            ]
            assert full == [{"watched": 2, "first_unwatched": sent[2].id}]  # once, not per message
        finally:
            await terminal.stop()

    run_virtual(main())


def test_both_sides_watch_the_senders_deadline_whatever_their_own_settings(
    tmp_path: Path,
) -> None:
    """Issue 21, defect 2: the deadline travels in the signed body (``ack_within``).

    Washington gives a FLASH 1 s; Moscow's own settings would give it 120 s.
    Both must watch Washington's, and both go overdue together.
    """
    washington_dir, moscow_dir = make_pair(tmp_path)
    hooks = tmp_path / "w-hooks"
    hooks.mkdir()
    _configure(washington_dir, hooks)
    assert load_settings(moscow_dir / "hotline.toml").acknowledgement.seconds["flash"] == 120

    async def main() -> None:
        washington, moscow = (
            Terminal.open(washington_dir, clock=virtual_clock()),
            Terminal.open(moscow_dir, clock=virtual_clock()),
        )
        await washington.start()
        await moscow.start()
        try:
            flash = washington.send_text(to="Moscow", text="Now.", precedence=Precedence.FLASH)
            assert decode_body(flash.body)["ack_within"] == 1
            await wait_until(lambda: moscow.store.get_message(flash.id) is not None)
            received = moscow.store.get_message(flash.id)
            assert received is not None
            due = washington.desk(DeadlineWatch).deadline_of(flash)
            assert due is not None
            assert moscow.desk(DeadlineWatch).deadline_of(received) == due
            assert parse_utc(due).timestamp() - parse_utc(flash.sent_at).timestamp() == 1.0
            await wait_until(
                lambda: moscow.desk(DeadlineWatch).is_overdue(flash.id),
                what="overdue at Moscow on Washington's deadline",
            )
            # A restart re-arms the same deadline from the stored body.
            await moscow.stop()
            moscow = Terminal.open(moscow_dir, clock=virtual_clock())
            await moscow.start()
            assert moscow.desk(DeadlineWatch).deadline_of(received) == due
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


@pytest.mark.parametrize("value", [0, -5, 30 * 86400 + 1, float("nan"), True, "60", None])
def test_a_deadline_out_of_range_falls_back_to_our_own(value: object) -> None:
    assert ack_within_of({"ack_within": value}) is None
    assert ack_within_of({}) is None
    assert ack_within_of({"ack_within": 90}) == 90.0
