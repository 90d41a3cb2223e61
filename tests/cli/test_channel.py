"""``hotline channel create|add|remove|list|show`` through the CLI, with real terminals."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import TerminalProcess, hotline, wait_for


def test_channels_are_configured_and_announced_to_the_peer(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow = pair
    secret = tmp_path / "password.txt"
    secret.write_text("correct horse battery\n")
    secret.chmod(0o600)
    for name, role in (("hegseth", "principal"), ("aide", "operator")):
        hotline(
            "user", "add", washington.directory, name, "--role", role, "--password-file", secret
        )
    assert "no channel configured" in hotline("channel", "list", washington.directory).stdout
    washington.start()
    moscow.start()
    unknown = hotline(
        "channel", "create", washington.directory, "defence", "--member", "ghost", check=False
    )
    assert unknown.returncode == 1
    assert "'ghost'" in unknown.stderr
    created = hotline(
        "channel",
        "create",
        washington.directory,
        "defence",
        "--member",
        "hegseth:principal",
        "--member",
        "aide",
    )
    assert "channel defence version 1: hegseth (principal), aide (member)" in created.stdout
    removed = hotline("channel", "remove", washington.directory, "defence", "--member", "aide")
    assert "version 2: hegseth (principal)" in removed.stdout
    listed = json.loads(hotline("channel", "list", washington.directory, "--json").stdout)
    assert [(c["name"], c["restricted"], c["version"]) for c in listed] == [("defence", True, 2)]

    def announced() -> bool:
        shown = hotline("channel", "show", moscow.directory, "defence", "--json", check=False)
        if shown.returncode != 0:
            return False
        peers = json.loads(shown.stdout)["peers"]
        return bool(peers) and peers[0]["version"] == 2

    wait_for(announced, what="Moscow holds Washington's announcement")
    text = hotline("channel", "show", moscow.directory, "defence").stdout
    assert "open here" in text
    assert "Washington announced (version 2): hegseth (principal)" in text
