"""bench.audit builds a real bundle and times its audit (a smoke run, no figures asserted)."""

from __future__ import annotations

import json

import pytest
from bench.audit import build_bundle, main, run

from hotline.terminal.record.audit import audit_bundle
from hotline.terminal.record.bundle import Bundle


def test_the_synthetic_bundle_is_real_and_audits_clean() -> None:
    bundle = Bundle.decode(build_bundle(9))
    report = audit_bundle(bundle)
    assert report.fault is None
    assert len(report.messages) == 4
    assert [e.kind for e in report.entries] == ["receipt received"] * 4 + ["line state"]
    assert all(m.received_at is not None for m in report.messages)
    # Tampering with it is caught: the bench times a real audit, not a formality.
    changed = bytearray(bundle.encode())
    changed[len(changed) // 3] ^= 0x01
    try:
        fault = audit_bundle(Bundle.decode(bytes(changed))).fault
    except Exception as exc:  # a malformed bundle is refused on decoding
        fault = str(exc)
    assert fault


def test_run_reports_the_figures(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(6)["messages"] == 3
    monkeypatch.setattr("sys.argv", ["audit", "--entries", "4", "--json"])
    main()
    out = capsys.readouterr().out.splitlines()
    assert "goal < 30 s" in out[0]
    assert json.loads(out[-1])["figures"]["entries"] == 4
