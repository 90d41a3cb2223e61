"""``hotline export`` and ``hotline audit`` as a user runs them, on stores two terminals made."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import hotline
from tests.terminal.helpers import make_pair
from tests.terminal.record.test_export_audit import PER_SIDE, Exchange, _exchange


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Exchange:
    return _exchange(tmp_path_factory.mktemp("cli-export"))


def test_export_then_audit_exits_0_and_lists_every_message(
    exchange: Exchange, tmp_path: Path
) -> None:
    bundle = tmp_path / "line.json"
    exported = hotline(
        "export", exchange.washington_dir, "--peer", "Moscow", "--output", bundle
    ).stdout
    assert f"wrote {bundle}" in exported
    assert "cosigned by Moscow" in exported
    audited = hotline("audit", bundle).stdout
    assert audited.rstrip().endswith(
        "ALL HOLDS: every signature, proof, checkpoint and cosignature verified"
    )
    assert "keys taken from the bundle itself" in audited
    for n in range(PER_SIDE):
        assert f"| Washington {n}: line" in audited
        assert f"| Moscow {n}" in audited
    assert "acknowledged by duty" in audited
    report = json.loads(hotline("audit", bundle, "--json").stdout)
    assert report["ok"] is True
    assert len([m for m in report["messages"] if m["kind"] == "text"]) == 2 * PER_SIDE


def test_audit_with_pinned_cards(exchange: Exchange, tmp_path: Path) -> None:
    bundle = tmp_path / "line.json"
    hotline("export", exchange.moscow_dir, "--peer", "Washington", "--output", bundle)
    card = tmp_path / "washington.card"
    card.write_text(exchange.washington_card.to_json(), encoding="utf-8")
    audited = hotline("audit", bundle, "--card", card).stdout
    assert "keys pinned by the auditor: Washington" in audited
    assert "keys taken from the bundle itself (not pinned with --card): Moscow" in audited
    impostor = tmp_path / "moscow.card"
    impostor.write_text(exchange.washington_card.to_json().replace("Washington", "Moscow"))
    refused = hotline("audit", bundle, "--card", impostor, check=False)
    assert refused.returncode == 1


def test_a_changed_byte_or_a_removed_entry_exits_1_naming_it(
    exchange: Exchange, tmp_path: Path
) -> None:
    bundle = tmp_path / "line.json"
    hotline("export", exchange.washington_dir, "--peer", "Moscow", "--output", bundle)
    data = bundle.read_bytes()
    changed = tmp_path / "changed.json"
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x02
    changed.write_bytes(bytes(flipped))
    result = hotline("audit", changed, check=False)
    assert result.returncode == 1
    assert result.stdout.startswith("FAULT: ")
    document = json.loads(data)
    del document["log"]["entries"][1]
    removed = tmp_path / "removed.json"
    removed.write_bytes(
        json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        + b"\n"
    )
    result = hotline("audit", removed, "--json", check=False)
    assert result.returncode == 1
    assert json.loads(result.stdout)["ok"] is False


def test_export_keeps_an_existing_file_unless_forced(exchange: Exchange, tmp_path: Path) -> None:
    bundle = tmp_path / "line.json"
    bundle.write_text("keep me")
    refused = hotline("export", exchange.washington_dir, "--output", bundle, check=False)
    assert refused.returncode == 1
    assert "exists" in refused.stderr
    assert bundle.read_text() == "keep me"
    hotline("export", exchange.washington_dir, "--output", bundle, "--force")
    assert hotline("audit", bundle).returncode == 0
    assert [p.name for p in tmp_path.iterdir()] == ["line.json"]


def test_export_without_a_cosigned_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    washington_dir, _ = make_pair(tmp_path)
    result = hotline("export", washington_dir, "--output", tmp_path / "b.json", check=False)
    assert result.returncode == 1
    assert "no peer has cosigned" in result.stderr
    assert not (tmp_path / "b.json").exists()
