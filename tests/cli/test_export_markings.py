"""``hotline export`` and ``hotline audit`` show a marked message's markings and its release.

Two real terminals: Washington sends one marked message and one plain one,
then releases the marked one. Both the export's summary (what the file
carries) and the offline audit (the account of each message) head the marked
message with its marking lines, as a banner before its text, and say when and
by whom it was released; the plain message carries no banner.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .helpers import TerminalProcess, hotline, wait_for
from .test_markings import _agree, _message
from .test_record import witnessed_up_to_now

TEXT = "Hold the line"


def test_export_and_audit_print_the_marking_banner_and_the_release(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow = pair
    for terminal in pair:
        _agree(terminal.directory, "RESTRICTED")
    washington.start()
    moscow.start()
    until = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%MZ")
    marked = hotline(
        "send", washington.directory, "--to", "Moscow", "--eyes-only", "alice",
        "--embargoed-until", until, "--classification", "RESTRICTED", "--wait", TEXT,
    ).stdout.strip()  # fmt: skip
    plain = hotline(
        "send", washington.directory, "--to", "Moscow", "--wait", "Plain words"
    ).stdout.strip()
    hotline("release", washington.directory, marked, "--text", "The line held.")
    wait_for(
        lambda: (_message(moscow, marked) or {}).get("release") is not None,
        what="the release to reach Moscow",
    )
    banner = [
        "** RESTRICTED",
        "** EYES ONLY alice",
        f"** EMBARGOED UNTIL {until[:-1]}:00.000000Z",
    ]

    for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
        wait_for(witnessed_up_to_now(terminal, peer), within=90, what=f"{peer} to cosign")
        bundle = tmp_path / f"{terminal.directory.name}.json"
        exported = hotline(
            "export", terminal.directory, "--peer", peer, "--output", bundle
        ).stdout.splitlines()
        # The summary names the marked message (not the plain one) with its banner and release.
        assert "1 marked messages: handle the file as their markings say" in exported
        head = next(i for i, line in enumerate(exported) if f"id {marked}" in line)
        assert [line.strip() for line in exported[head + 1 : head + 4]] == banner
        assert exported[head + 4].strip().startswith("** RELEASED ")
        assert "by Washington: 'The line held.'" in exported[head + 4]
        assert not any(f"id {plain}" in line for line in exported)

        audited = hotline("audit", bundle).stdout.splitlines()
        assert audited[-1].startswith("ALL HOLDS")
        start = next(i for i, line in enumerate(audited) if line.endswith(f"id {marked}"))
        # The banner comes first, then the text, then the release.
        assert [line.strip() for line in audited[start + 1 : start + 5]] == [*banner, f"| {TEXT}"]
        account = audited[start + 1 : next(
            i for i in range(start + 1, len(audited)) if "[verified]" in audited[i]
        )]  # fmt: skip
        released = [line for line in account if line.strip().startswith("released by")]
        assert len(released) == 1
        assert "released by Washington at " in released[0]
        assert released[0].endswith(": 'The line held.'")
        assert not any("'markings'" in line for line in account)  # shown once: as the banner
        plain_at = next(i for i, line in enumerate(audited) if line.endswith(f"id {plain}"))
        assert audited[plain_at + 1].strip() == "| Plain words"

        report = json.loads(hotline("audit", bundle, "--json").stdout)
        [shown] = [m for m in report["messages"] if m["id"] == marked]
        assert shown["markings"] == [line.removeprefix("** ") for line in banner]
        assert shown["release"]["by"] == "Washington"
        assert shown["release"]["public_text"] == "The line held."
