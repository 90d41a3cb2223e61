"""Releasing a message sent to several parties releases every copy, through real processes."""

from __future__ import annotations

import json
from typing import Any

from hotline.store import SQLiteStore

from .helpers import TerminalProcess, hotline, wait_for


def _messages(terminal: TerminalProcess) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json").stdout
    )
    return shown


def _released_ids(terminal: TerminalProcess) -> list[str]:
    store = SQLiteStore.open_existing(terminal.directory / "hotline.db")
    try:
        return [e.data["id"] for e in store.iter_journal() if e.kind == "message released"]
    finally:
        store.close()


def test_releasing_one_copy_of_a_group_message_releases_every_copy(
    trio: dict[str, TerminalProcess],
) -> None:
    washington, moscow, london = trio["Washington"], trio["Moscow"], trio["London"]
    group_id = hotline(
        "send", washington.directory, "--to", "Moscow", "--to", "London",
        "--not-for-release", "--wait", "Hold until the statement",
    ).stdout.strip()  # fmt: skip
    copies = {m["peer"]: m["id"] for m in _messages(washington) if m["group"] == group_id}
    assert sorted(copies) == ["London", "Moscow"]

    # Release the London copy by its id: the Moscow copy goes with it.
    released = hotline(
        "release", washington.directory, copies["London"], "--text", "Agreed statement"
    )
    lines = released.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"released {copies['London']} at ")
    assert lines[1].startswith(f"released {copies['Moscow']} at ")
    assert sorted(_released_ids(washington)) == sorted(copies.values())
    for copy in copies.values():
        again = hotline("release", washington.directory, copy, check=False)
        assert (again.returncode, "already released" in again.stderr) == (1, True)

    # Each receiver marks its own copy released, with the same time and public text.
    ours = {m["id"]: m["release"] for m in _messages(washington) if m["group"] == group_id}
    for party, side in (("Moscow", moscow), ("London", london)):

        def marked(side: TerminalProcess = side) -> bool:
            return any(m["group"] == group_id and m["release"] is not None for m in _messages(side))

        wait_for(marked, what=f"the release to reach {party}")
        [received] = [m for m in _messages(side) if m["group"] == group_id]
        assert received["id"] == copies[party]
        assert received["release"] == ours[copies[party]]
        assert received["release"]["public_text"] == "Agreed statement"
        assert _released_ids(side) == [copies[party]]
    release_ids = {r["release_id"] for r in ours.values()}
    assert len(release_ids) == 2  # one release message over each line

    hotline(
        "send", washington.directory, "--to", "Moscow", "--to", "London",
        "--not-for-release", "second",
    )  # fmt: skip
    second = [m["id"] for m in _messages(washington) if m["text"] == "second"]
    result = json.loads(hotline("release", washington.directory, second[0], "--json").stdout)
    assert result["message"] == second[0]
    assert sorted(c["message"] for c in result["copies"]) == sorted(second)
    hotline("verify", washington.directory)
