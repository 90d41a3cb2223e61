"""The CLI contract as a user meets it: outputs, exit codes, and one clear line per error."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from .helpers import TerminalProcess, hotline, init_unprotected

FINGERPRINT = re.compile(r"^(\d{5} ){11}\d{5}$")


def _one_clear_line(result: subprocess.CompletedProcess[str]) -> str:
    stderr = result.stderr.strip()
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1, stderr
    assert stderr.startswith("hotline: error: ")
    return stderr


def test_init_card_and_peer_add(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    out = hotline(
        "init",
        "--unprotected-keys",
        a,
        "--party",
        "Washington",
        "--listen",
        "127.0.0.1:7001",
        "--listen",
        "[::1]:7002",
        "--timezone",
        "America/New_York",
    ).stdout
    assert "fingerprint:" in out
    hotline(
        "init",
        "--unprotected-keys",
        b,
        "--party",
        "Moscow",
        "--listen",
        "127.0.0.1:7003",
        "--timezone",
        "Europe/Moscow",
    )
    card = json.loads(hotline("card", a).stdout)
    assert card["party"] == "Washington"
    assert card["routes"] == ["127.0.0.1:7001", "[::1]:7002"]
    assert card["timezone"] == "America/New_York"
    assert {"signing_key", "encryption_key", "certificate", "signature"} <= card.keys()
    assert (a / "keys" / "signing.key").stat().st_mode & 0o777 == 0o600
    assert (a / "keys" / "encryption.key").stat().st_mode & 0o777 == 0o600
    card_file = tmp_path / "washington.card"
    card_file.write_text(json.dumps(card))
    added = hotline("peer", "add", b, card_file).stdout.splitlines()
    assert added[0] == "added peer: Washington"
    fingerprint = added[1].removeprefix("fingerprint: ")
    assert FINGERPRINT.match(fingerprint)
    # The fingerprint printed at init on one side is the one the other side sees.
    assert f"fingerprint: {fingerprint}" in out
    listed = json.loads(hotline("peer", "list", b, "--json").stdout)
    assert [p["party"] for p in listed] == ["Washington"]


def test_tampered_card_is_refused(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    hotline("init", "--unprotected-keys", a, "--party", "Washington", "--listen", "127.0.0.1:7001")
    hotline("init", "--unprotected-keys", b, "--party", "Moscow", "--listen", "127.0.0.1:7002")
    card = json.loads(hotline("card", a).stdout)
    card["routes"] = ["203.0.113.9:7001"]  # an attacker redirects the route
    result = hotline("peer", "add", b, "-", stdin=json.dumps(card), check=False)
    assert result.returncode == 1
    assert "signature" in _one_clear_line(result)
    assert json.loads(hotline("peer", "list", b, "--json").stdout) == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("send", "{missing}", "--to", "Moscow", "hi"), "is not a hotline terminal"),
        (("status", "{missing}"), "is not a hotline terminal"),
        (("send", "{dir}", "--to", "Moscow", "hi"), "no terminal is running"),
        (("send", "{dir}", "--to", "Moscow", "--precedence", "urgent", "hi"), "precedence"),
        (
            ("init", "--unprotected-keys", "{dir}", "--party", "Again", "--listen", "127.0.0.1:1"),
            "already holds a terminal",
        ),
        (
            (
                "init",
                "--unprotected-keys",
                "{new}",
                "--party",
                "X",
                "--listen",
                "127.0.0.1:1",
                "--timezone",
                "Mars/Olympus",
            ),
            "unknown time zone",
        ),
        (
            ("init", "--unprotected-keys", "{new}", "--party", "X", "--listen", "nowhere"),
            "HOST:PORT",
        ),
        (("peer", "add", "{dir}", "{missing}"), "cannot read card file"),
        (("peer", "add", "{dir}", "{garbage}"), "card"),
    ],
)
def test_bad_input_gives_one_line_and_exit_1(
    tmp_path: Path, args: tuple[str, ...], needle: str
) -> None:
    directory = tmp_path / "w"
    init_unprotected(directory, "Washington")
    garbage = tmp_path / "garbage.card"
    garbage.write_text("{not json")
    values = {
        "dir": directory,
        "missing": tmp_path / "missing",
        "new": tmp_path / "new",
        "garbage": garbage,
    }
    result = hotline(*(a.format(**values) for a in args), check=False)
    assert result.returncode == 1, result
    assert needle in _one_clear_line(result)


@pytest.mark.parametrize(
    "args",
    [
        ("send",),
        ("send", "DIR"),
        ("init", "DIR", "--party", "X"),
        ("frobnicate",),
        ("status", "DIR", "--bogus"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = hotline(*args, check=False)
    assert result.returncode == 2
    assert "usage:" in result.stderr


def test_running_terminal_errors_and_stdin(pair: tuple[TerminalProcess, TerminalProcess]) -> None:
    washington, _moscow = pair
    washington.start()
    # Moscow is not running: sending still succeeds and the message waits, queued.
    message_id = hotline(
        "send", washington.directory, "--to", "Moscow", "-", stdin="Text from stdin\n"
    ).stdout
    assert re.fullmatch(r"[0-9a-f]{32}\n", message_id)
    messages = json.loads(hotline("messages", washington.directory, "--json").stdout)
    assert [(m["id"], m["state"], m["text"], m["serial"]) for m in messages] == [
        (message_id.strip(), "queued", "Text from stdin\n", 1)
    ]
    status = json.loads(hotline("status", washington.directory, "--json").stdout)
    assert status["party"] == "Washington"
    assert status["peers"][0]["party"] == "Moscow"
    assert status["peers"][0]["state"] == "down"
    assert status["peers"][0]["queued"] == 1
    unknown = hotline("send", washington.directory, "--to", "Beijing", "hello", check=False)
    assert unknown.returncode == 1
    assert "no peer named 'Beijing'" in _one_clear_line(unknown)
    too_long = hotline(
        "send", washington.directory, "--to", "Moscow", "-", stdin="x" * 70_000, check=False
    )
    assert too_long.returncode == 1
    assert "limit" in _one_clear_line(too_long)
    bad_channel = hotline(
        "send",
        washington.directory,
        "--to",
        "Moscow",
        "--channel",
        "Bad Channel!",
        "hi",
        check=False,
    )
    assert bad_channel.returncode == 1
    assert "channel" in _one_clear_line(bad_channel)


def test_verify_names_the_first_fault(pair: tuple[TerminalProcess, TerminalProcess]) -> None:
    washington, moscow = pair
    washington.start()
    moscow.start()
    hotline("send", washington.directory, "--to", "Moscow", "first")
    hotline("send", washington.directory, "--to", "Moscow", "second")
    washington.stop()
    moscow.stop()
    ok = hotline("verify", washington.directory)
    assert ok.stdout.startswith("verified: 2 sent")
    db = sqlite3.connect(washington.directory / "hotline.db")
    triggers = [
        row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    ]
    for trigger in triggers:
        db.execute(f"DROP TRIGGER {trigger}")
    (envelope,) = db.execute(
        "SELECT envelope FROM messages WHERE serial = 2 AND direction = 'out'"
    ).fetchone()
    forged = bytearray(envelope)
    forged[-5] ^= 0x01
    db.execute(
        "UPDATE messages SET envelope = ? WHERE serial = 2 AND direction = 'out'", (bytes(forged),)
    )
    db.commit()
    db.close()
    bad = hotline("verify", washington.directory, check=False)
    assert bad.returncode == 1
    assert bad.stdout.startswith("FAULT:")
    assert "serial 2" in bad.stdout


def test_demo_runs_and_delivers(tmp_path: Path) -> None:
    result = hotline("demo", "--dir", tmp_path / "demo", "--duration", "0.5")
    out = result.stdout
    assert out.count("delivered; signed receipt verified") == 3
    assert "risk reduction and operational deconfliction" in out
    assert out.count("all hold") == 2
    assert "stopped" in out
    # The consoles are HTTPS, each with the fingerprint of the certificate init made.
    assert out.count("https://127.0.0.1:") == 2
    assert out.count("certificate SHA-256 ") == 2


def test_send_wait_reports_delivery_or_times_out(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, moscow = pair
    washington.start()
    late = hotline(
        "send",
        washington.directory,
        "--to",
        "Moscow",
        "--wait",
        "--timeout",
        "0.5",
        "nobody home",
        check=False,
    )
    assert late.returncode == 1
    assert re.fullmatch(r"[0-9a-f]{32}\n", late.stdout)  # the id is printed before the wait
    assert "still queued after 0.5 s" in _one_clear_line(late)
    moscow.start()
    done = hotline("send", washington.directory, "--to", "Moscow", "--wait", "both ends up")
    assert re.fullmatch(r"[0-9a-f]{32}\n", done.stdout)
    assert done.stderr.startswith("delivered 20")
    states = {
        m["text"]: m["state"]
        for m in json.loads(hotline("messages", washington.directory, "--json").stdout)
    }
    assert states == {"nobody home": "delivered", "both ends up": "delivered"}
