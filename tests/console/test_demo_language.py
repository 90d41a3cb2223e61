"""The demo brings up Moscow's console in Russian (as the README shows it), Washington's in English."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import hotline


def test_the_demo_operators_read_their_own_language(tmp_path: Path) -> None:
    hotline("demo", "--dir", tmp_path / "demo", "--duration", "0.2")
    languages = {}
    for party in ("washington", "moscow"):
        users = json.loads(hotline("user", "list", tmp_path / "demo" / party, "--json").stdout)
        languages[party] = {user["name"]: user["language"] for user in users}
    assert languages == {"washington": {"operator": "en"}, "moscow": {"operator": "ru"}}
