"""``hotline record``: the shared record from the CLI, with the terminals running and stopped."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from hotline.cli.cmd_record import render
from hotline.terminal.record.status import CosignerStatus, RecordStatus, WitnessedStatus

from .helpers import TerminalProcess, hotline, init_unprotected, wait_for


def _record(directory: Path) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(hotline("record", directory, "--json").stdout)
    return shown


def _wait_for(directory: Path, predicate: Any, what: str, within: float = 30.0) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def holds() -> bool:
        seen["record"] = _record(directory)
        return bool(predicate(seen["record"]))

    wait_for(holds, within=within, what=what)
    record: dict[str, Any] = seen["record"]
    return record


def test_a_new_terminal_has_an_empty_record(tmp_path: Path) -> None:
    directory = tmp_path / "washington"
    init_unprotected(directory, "Washington")
    record = _record(directory)
    assert record["origin"].startswith("hotline/Washington/")
    assert len(record["origin"].rsplit("/", 1)[1]) == 16  # 8 bytes of the key's hash, hex
    assert record["checkpoint"] is None
    assert record["cosigners"] == []
    assert record["never_cosigned"] == []
    assert record["witnessed"] == []
    assert record["conflicts"] == 0
    text = hotline("record", directory).stdout
    assert "checkpoint  none yet" in text
    assert "no peers" in text
    assert "conflicts   0" in text


def test_record_shows_both_witnesses_running_and_stopped(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, moscow = pair
    before = _record(washington.directory)
    assert before["never_cosigned"] == ["Moscow"]  # a peer, but no line has run yet
    washington.start()
    moscow.start()
    hotline("send", washington.directory, "--to", "Moscow", "--wait", "on the record")
    # Washington's newest checkpoint cosigned by Moscow, and Moscow's log witnessed.
    record = _wait_for(
        washington.directory,
        lambda r: (
            r["checkpoint"] is not None
            and [c["peer"] for c in r["cosigners"]] == ["Moscow"]
            and [w["peer"] for w in r["witnessed"]] == ["Moscow"]
        ),
        "Moscow cosigning Washington's checkpoint",
    )
    checkpoint = record["checkpoint"]
    assert record["entries"] >= record["tree_size"] >= checkpoint["size"] > 0
    note = checkpoint["note"]
    # The C2SP checkpoint inside the signed note: origin, size, base64 root, then the signature.
    body, signatures = note.split("\n\n", 1)
    assert body.split("\n") == [
        record["origin"],
        str(checkpoint["size"]),
        base64.b64encode(bytes.fromhex(checkpoint["root"])).decode(),
    ]
    assert signatures.startswith(f"— {record['origin']} ")
    [cosigner] = record["cosigners"]
    assert 0 < cosigner["size"] <= checkpoint["size"]
    assert cosigner["behind"] == checkpoint["size"] - cosigner["size"]
    assert cosigner["age_seconds"] >= 0
    assert record["never_cosigned"] == []
    moscow_view = _record(moscow.directory)
    [witnessed] = moscow_view["witnessed"]
    assert witnessed["peer"] == "Washington"
    assert witnessed["size"] > 0

    washington.stop()
    moscow.stop()
    stopped = _record(washington.directory)
    # Stopped, it reads the same store.
    assert stopped["cosigners"][0]["size"] >= record["cosigners"][0]["size"]
    assert stopped["origin"] == record["origin"]
    assert stopped["witnessed"][0]["peer"] == "Moscow"
    # The human form, read while nothing runs so the record cannot move between the two reads
    # (running, the line's own traffic adds entries and checkpoints between them; found by CI).
    text = hotline("record", washington.directory).stdout
    shown = stopped["checkpoint"]
    assert f"origin      {stopped['origin']}" in text
    assert f"checkpoint  size {shown['size']}, root {shown['root']}" in text
    assert "    Moscow           size " in text
    assert f"    {stopped['origin']}" in text  # the note, indented


def test_the_human_form_names_laggards_and_peers_that_never_cosigned() -> None:
    status = RecordStatus(
        origin="hotline/Washington/0011223344556677",
        entries=12,
        tree_size=10,
        checkpoint_size=10,
        checkpoint_root="ab" * 32,
        checkpoint_at="2026-11-23T16:00:00.000000Z",
        checkpoint_note="hotline/Washington/0011223344556677\n10\nq6s=\n\n— sig AAAA\n",
        cosigners=(
            CosignerStatus(
                peer="Moscow",
                size=7,
                cosigned_at="2026-11-23T15:00:00.000000Z",
                age=3 * 3600 + 300,
                behind=3,
            ),
        ),
        never_cosigned=("Jakarta",),
        witnessed=(
            WitnessedStatus(
                peer="Moscow", size=4, root="cd" * 32, cosigned_at="2026-11-23T15:00:01.000000Z"
            ),
        ),
        conflicts=2,
    )
    text = render(status)
    assert text.splitlines()[:3] == [
        "origin      hotline/Washington/0011223344556677",
        "log         12 entries (10 in the tree)",
        f"checkpoint  size 10, root {'ab' * 32}, issued 2026-11-23T16:00:00.000000Z",
    ]
    assert "    — sig AAAA" in text
    assert (
        "    Moscow           size 7 at 2026-11-23T15:00:00.000000Z (3h 05m ago), 3 entries behind"
        in text
    )
    assert "    Jakarta          never cosigned" in text
    assert (
        f"    Moscow           size 4, root {'cd' * 32}, cosigned 2026-11-23T15:00:01.000000Z"
        in (text)
    )
    assert text.splitlines()[-1].startswith("conflicts   2 ")
