"""deploy/: the systemd unit (checked by systemd-analyze), its command line, the dashboard, LICENSE."""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy" / "hotline@.service"


def _unit() -> configparser.ConfigParser:
    # strict=False: a unit may repeat keys; systemd's own syntax is checked below.
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_the_units_command_line_is_a_valid_hotline_run() -> None:
    command = shlex.split(_unit()["Service"]["ExecStart"].replace("%i", "washington"))
    assert command[0].endswith("/hotline")
    args = build_parser().parse_args(command[1:])
    assert args.handler.__module__ == "hotline.cli.cmd_run"
    assert args.directory == Path("/var/lib/hotline/washington")


def test_the_unit_is_hardened() -> None:
    service = _unit()["Service"]
    assert service["User"] == "hotline"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == "/var/lib/hotline/%i"
    assert service["PrivateTmp"] == "yes"
    assert service["ProtectHome"] == "yes"
    assert service["Restart"] == "on-failure"
    assert service["LoadCredential"].startswith("passphrase:")
    assert set(service["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}


def test_systemd_analyze_verifies_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    # The unit names the packaged binary; here the one beside this interpreter stands in.
    binary = Path(sys.executable).parent / "hotline"
    if not binary.exists():
        pytest.skip(f"no hotline entry point beside {sys.executable}")
    unit = tmp_path / "hotline@washington.service"
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace("/usr/bin/hotline", str(binary)),
        encoding="utf-8",
    )
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "hotline@washington.service" not in result.stderr, result.stderr


def test_the_dashboard_is_grafana_json_over_our_metrics() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    expressions = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    for metric in (
        "hotline_queue_depth",
        "hotline_line_state",
        "hotline_route_state",
        "hotline_delivery_latency_seconds_bucket",
        "hotline_receipts_total",
        "hotline_acknowledgements_overdue",
        "hotline_alarms_open",
        "hotline_link_tests_total",
        "hotline_refused_connections_total",
    ):
        assert metric in expressions, metric


def test_the_license_is_the_apache_license_2() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
