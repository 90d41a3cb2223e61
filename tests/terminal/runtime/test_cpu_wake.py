"""Holding the CPUs awake: the PM QoS request, its settings, and what status says.

The request is made on the real ``/dev/cpu_dma_latency`` where this machine has
one we may write (root, as in CI); the kernel's answer is read back from the
same device. Elsewhere those tests are skipped with the reason, and the
refusal path is tested on a path that does not exist.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline.errors import ConfigError
from hotline.terminal import Settings, Terminal, hold_cpus_awake, load_settings
from hotline.terminal.config import render_settings
from hotline.terminal.runner import _hold_cpus
from hotline.terminal.runtime import CPU_DMA_LATENCY, enforced_latency_us
from tests.cli.helpers import TerminalProcess, hotline, init_unprotected
from tests.terminal.helpers import make_pair, may_hold_cpus_awake

MAY_HOLD = may_hold_cpus_awake()
writable_device = pytest.mark.skipif(
    not MAY_HOLD, reason=f"{CPU_DMA_LATENCY} is missing or refuses this process"
)


@writable_device
def test_a_hold_sets_the_enforced_latency_to_zero_until_released() -> None:
    before = enforced_latency_us()
    hold = hold_cpus_awake()
    try:
        assert hold.held
        assert enforced_latency_us() == 0
        assert enforced_latency_us(hold.path) == 0
        assert "held awake" in hold.describe()
    finally:
        hold.release()
    hold.release()  # idempotent
    assert not hold.held
    assert enforced_latency_us() == before


def test_a_missing_device_is_an_os_error_and_a_bad_latency_a_value_error(
    tmp_path: Path,
) -> None:
    with pytest.raises(FileNotFoundError):
        hold_cpus_awake(tmp_path / "no-such-device")
    with pytest.raises(ValueError, match="latency_us"):
        hold_cpus_awake(tmp_path / "no-such-device", latency_us=-1)


def _settings_file(tmp_path: Path, name: str, *, line: str) -> Path:
    """Rendered settings with the hold_cpus_awake line replaced by ``line``."""
    path = tmp_path / f"{name}.toml"
    base = render_settings(Settings(party="Washington", timezone="UTC", listen=("127.0.0.1:1",)))
    assert "\nhold_cpus_awake = false\n" in base
    path.write_text(base.replace("\nhold_cpus_awake = false\n", f"\n{line}\n"))
    return path


def _minimal(tmp_path: Path, top: str) -> Path:
    path = tmp_path / "minimal.toml"
    path.write_text(f'{top}\n[terminal]\nparty = "Washington"\nlisten = ["127.0.0.1:1"]\n')
    return path


def test_the_setting_is_off_by_default_round_trips_and_refuses_bad_values(
    tmp_path: Path,
) -> None:
    defaults = Settings(party="Washington", timezone="UTC", listen=("127.0.0.1:1",))
    assert not defaults.hold_cpus_awake
    path = tmp_path / "hotline.toml"
    path.write_text(render_settings(defaults))
    assert "hold_cpus_awake = false" in path.read_text()
    assert not load_settings(path).hold_cpus_awake
    on = Settings(party="Washington", timezone="UTC", listen=("127.0.0.1:1",), hold_cpus_awake=True)
    path.write_text(render_settings(on))
    assert load_settings(path).hold_cpus_awake
    for bad, problem in (
        (_settings_file(tmp_path, "a", line='hold_cpus_awake = "yes"'), "must be true or false"),
        (
            _settings_file(tmp_path, "b", line="hold_cpu_awake = true"),
            r"hold_cpu_awake: unknown key in \[performance\]; did you mean hold_cpus_awake\?",
        ),
        (_minimal(tmp_path, 'performance = "fast"'), "must be a table"),
    ):
        with pytest.raises(ConfigError, match=problem):
            load_settings(bad)


def test_a_refused_request_leaves_the_terminal_running_and_says_why(tmp_path: Path) -> None:
    washington_dir, _ = make_pair(tmp_path)
    config = washington_dir / "hotline.toml"
    config.write_text(
        config.read_text().replace("hold_cpus_awake = false", "hold_cpus_awake = true")
    )
    terminal = Terminal.open(washington_dir)
    try:
        assert terminal.status().cpu_wake == "not asked"
        missing = tmp_path / "no-such-device"
        assert _hold_cpus(terminal, missing) is None
        assert terminal.status().cpu_wake == (
            f"asked, but not held: No such file or directory ({missing})"
        )
    finally:
        terminal.store.close()


def test_hotline_run_holds_the_cpus_and_status_says_so(tmp_path: Path) -> None:
    directory = tmp_path / "washington"
    init_unprotected(directory, "Washington")
    config = directory / "hotline.toml"
    config.write_text(
        config.read_text().replace("hold_cpus_awake = false", "hold_cpus_awake = true")
    )
    terminal = TerminalProcess(directory)
    terminal.start()
    try:
        status = json.loads(hotline("status", directory, "--json").stdout)
        text = hotline("status", directory).stdout
        if MAY_HOLD:
            assert status["cpu_wake"].startswith("CPUs held awake")
            assert enforced_latency_us() == 0
        else:
            assert status["cpu_wake"].startswith("asked, but not held: ")
        assert f"performance: {status['cpu_wake']}" in text
    finally:
        terminal.stop()
    if MAY_HOLD:
        assert enforced_latency_us() != 0  # the request ended with the process
