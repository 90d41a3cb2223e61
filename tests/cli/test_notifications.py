"""Formatted notifications, meetings, reports and overdue acknowledgements, through the CLI."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotline.terminal import load_settings
from hotline.terminal.config import AckDeadlines, EscalationStep, render_settings
from hotline.terminal.config.settings import DEFAULT_DEADLINES

from .helpers import TerminalProcess, hotline


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(tmp_path: Path, name: str, data: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return path


def _wait(predicate: Any, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _meetings(terminal: TerminalProcess) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = json.loads(
        hotline("meetings", terminal.directory, "--json").stdout
    )
    return result


def test_launch_lead_time_meeting_states_and_reports(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow = pair
    washington.start()
    moscow.start()
    now = datetime.now(UTC)
    launch = {
        "window": {
            "start": _iso(now + timedelta(hours=12)),
            "end": _iso(now + timedelta(hours=14)),
        },
        "launch_area": {"name": "Plesetsk"},
        "impact_area": {
            "circle": {"centre": {"lat": 67.5, "lon": 178.0}, "radius": 50, "unit": "km"}
        },
    }
    data = _write(tmp_path, "launch", launch)
    # 12 h lead: refused, field by field, and nothing is sent.
    refused = hotline(
        "notify",
        moscow.directory,
        "--to",
        "Washington",
        "--format",
        "launch",
        "--file",
        data,
        check=False,
    )
    assert refused.returncode == 1
    assert "window.start" in refused.stderr
    assert "24 h" in refused.stderr
    assert json.loads(hotline("messages", moscow.directory, "--json").stdout) == []
    # With the explicit override it goes, flagged as late.
    sent = json.loads(
        hotline(
            "notify",
            moscow.directory,
            "--to",
            "Washington",
            "--format",
            "launch",
            "--file",
            data,
            "--late-notice",
            "--json",
        ).stdout
    )
    assert sent["kind"] == "notification"
    assert sent["format"] == "launch"
    assert sent["data"]["late_notice"] is True
    _wait(
        lambda: any(
            m["id"] == sent["id"]
            for m in json.loads(hotline("messages", washington.directory, "--json").stdout)
        )
    )
    [arrived] = [
        m
        for m in json.loads(hotline("messages", washington.directory, "--json").stdout)
        if m["id"] == sent["id"]
    ]
    assert arrived["data"] == sent["data"]  # the structured data is authoritative and intact

    # A meeting: proposed -> agreed in principle -> scheduled, the same on both sides.
    proposal = json.loads(
        hotline(
            "notify",
            washington.directory,
            "--to",
            "Moscow",
            "--format",
            "meeting",
            "--json",
            "--file",
            _write(
                tmp_path,
                "meeting",
                {
                    "proposer": "President of the United States",
                    "participants": ["President of the United States", "President of Russia"],
                    "conditions": ["an agreement on the agenda beforehand"],
                    "time": "tbd",
                    "format": "tbd",
                },
            ),
        ).stdout
    )
    _wait(lambda: [m["state"] for m in _meetings(moscow)] == ["proposed"])
    for state, extra, sender, to in (
        ("agreed-in-principle", {}, moscow, "Washington"),
        (
            "scheduled",
            {"time": _iso(now + timedelta(days=7)), "format": "in-person"},
            washington,
            "Moscow",
        ),
    ):
        reply = {"proposal": proposal["id"], "state": state, **extra}
        hotline(
            "notify",
            sender.directory,
            "--to",
            to,
            "--format",
            "meeting-reply",
            "--file",
            _write(tmp_path, state, reply),
        )
        _wait(lambda state=state: all([m["state"] for m in _meetings(t)] == [state] for t in pair))
    for terminal in pair:
        [meeting] = _meetings(terminal)
        assert meeting["data"]["format"] == "in-person"
    # An illegal move (scheduled -> proposed) is refused before sending.
    bad = hotline(
        "notify",
        moscow.directory,
        "--to",
        "Washington",
        "--format",
        "meeting-reply",
        "--file",
        _write(tmp_path, "bad", {"proposal": proposal["id"], "state": "proposed"}),
        check=False,
    )
    assert bad.returncode == 1

    # Reports: counts by month, peer and format; CSV exports.
    _wait(lambda: json.loads(hotline("report", washington.directory, "--json").stdout) != [])
    rows = json.loads(hotline("report", washington.directory, "--json", "--period", "all").stdout)
    counts = {(r["direction"], r["format"]): r["count"] for r in rows}
    assert counts[("in", "launch")] == 1
    assert counts[("out", "meeting")] == 1
    assert counts[("out", "meeting-reply")] == 1
    assert counts[("in", "meeting-reply")] == 1
    csv_counts = hotline("report", washington.directory, "--csv").stdout.splitlines()
    assert csv_counts[0] == "period,peer,direction,format,count"
    listing = hotline("report", washington.directory, "--list-csv").stdout.splitlines()
    assert listing[0].startswith("sent_at,time_group,direction,peer,serial,id,format")
    assert len(listing) == 1 + 4
    assert "hotline formats" not in hotline("formats").stderr
    for terminal in pair:
        assert hotline("verify", terminal.directory).stdout.startswith("verified:")


def test_unacknowledged_flash_goes_overdue_on_both_sides_and_escalates_in_order(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow = pair
    for terminal in pair:
        config = terminal.directory / "hotline.toml"
        hooks = terminal.directory / "hooks"
        hooks.mkdir()
        settings = load_settings(config)
        config.write_text(
            render_settings(
                dataclasses.replace(
                    settings,
                    acknowledgement=AckDeadlines(
                        seconds={**DEFAULT_DEADLINES, "flash": 2.0},
                        escalation=(
                            EscalationStep(who="watch officer", after=0, repeat=2, every=0.5),
                            EscalationStep(who="duty general", after=1.0),
                        ),
                    ),
                    alarms=dataclasses.replace(
                        settings.alarms, hook=f"cat > \"$(mktemp -p '{hooks}' hook.XXXXXX)\""
                    ),
                )
            )
        )
    washington.start()
    moscow.start()
    sent = json.loads(
        hotline(
            "send",
            washington.directory,
            "--to",
            "Moscow",
            "--precedence",
            "flash",
            "--json",
            "--wait",
            "Answer at once.",
        ).stdout
    )

    def overdue_everywhere() -> bool:
        return all(
            any(
                m["id"] == sent["id"] and m["overdue"]
                for m in json.loads(hotline("messages", t.directory, "--json").stdout)
            )
            for t in pair
        )

    _wait(overdue_everywhere)
    for terminal in pair:
        alarms = hotline("alarms", terminal.directory, "--json", check=False)
        assert alarms.returncode == 3
        assert [a["kind"] for a in json.loads(alarms.stdout)] == ["ack-overdue"]
    # The sender still sees the delivery state beside the flag: delivered, nobody acknowledged.
    [mine] = [
        m
        for m in json.loads(hotline("messages", washington.directory, "--json").stdout)
        if m["id"] == sent["id"]
    ]
    assert (mine["state"], mine["acknowledged_by"]) == ("delivered", None)

    def escalations(terminal: TerminalProcess) -> list[dict[str, Any]]:
        events = []
        for path in (terminal.directory / "hooks").iterdir():
            text = path.read_text()
            if text.strip():
                event = json.loads(text)
                if event.get("event") == "escalation":
                    events.append(event)
        return sorted(events, key=lambda e: e["at"])

    for terminal in pair:
        _wait(lambda terminal=terminal: len(escalations(terminal)) == 3)
        assert [(e["step"], e["round"], e["who"]) for e in escalations(terminal)] == [
            (1, 1, "watch officer"),
            (1, 2, "watch officer"),
            (2, 1, "duty general"),
        ]
