"""The daemon's log: JSON lines, a file that follows logrotate, refusals summarised."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.cli import build_parser
from hotline.terminal import Terminal
from hotline.terminal.daemon import REFUSAL_JOURNAL_INTERVAL
from hotline.terminal.logs import JsonFormatter, configure_logging, stderr_is_journald
from hotline.testing import FakeClock

from .helpers import make_terminal


@pytest.fixture
def hotline_logger() -> Iterator[logging.Logger]:
    """The ``hotline`` logger, with its handlers and level put back afterwards."""
    logger = logging.getLogger("hotline")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    for handler in logger.handlers[len(handlers) :]:
        handler.close()
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_json_lines_carry_time_level_logger_message_and_exception() -> None:
    record = logging.LogRecord(
        "hotline.terminal", logging.WARNING, __file__, 1, "a %s", ("b",), None
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING"
    assert line["logger"] == "hotline.terminal"
    assert line["message"] == "a b"
    assert line["time"].endswith("Z")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        failed = logging.LogRecord(
            "hotline", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    assert "RuntimeError: boom" in json.loads(JsonFormatter().format(failed))["exception"]


def test_the_log_file_is_private_and_follows_a_rotation(
    tmp_path: Path, hotline_logger: logging.Logger
) -> None:
    path = tmp_path / "terminal.log"
    configure_logging(path, log_format="json")
    hotline_logger.info("before the rotation")
    assert path.stat().st_mode & 0o777 == 0o600
    path.rename(tmp_path / "terminal.log.1")  # what logrotate does (no copytruncate)
    hotline_logger.info("after the rotation")
    old = [json.loads(x)["message"] for x in (tmp_path / "terminal.log.1").read_text().splitlines()]
    new = [json.loads(x)["message"] for x in path.read_text().splitlines()]
    assert old == ["before the rotation"]
    assert new == ["after the rotation"]


def test_journald_is_recognised_only_when_it_is_our_stderr() -> None:
    assert not stderr_is_journald({})
    assert not stderr_is_journald({"JOURNAL_STREAM": "1:2"})
    assert not stderr_is_journald({"JOURNAL_STREAM": "nonsense"})


def test_run_takes_a_log_format_and_a_log_file() -> None:
    args = build_parser().parse_args(["run", "DIR", "--log-format", "json", "--log-file", "-"])
    assert (args.log_format, args.log_file) == ("json", "-")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "DIR", "--log-format", "xml"])


def test_refusals_from_one_address_are_logged_once_then_summarised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    terminal = Terminal.open(make_terminal(tmp_path / "w", "Washington"), clock=clock)
    try:
        with caplog.at_level(logging.WARNING, logger="hotline.terminal"):
            for port in range(40000, 40050):
                terminal._refused(f"192.0.2.7:{port}", "TLS handshake failed: unknown ca")
            clock.advance(REFUSAL_JOURNAL_INTERVAL + 1)
            terminal._refused("192.0.2.7:40099", "TLS handshake failed: unknown ca")
    finally:
        terminal.store.close()
    lines = [r.getMessage() for r in caplog.records if "refused connection" in r.getMessage()]
    assert lines == [
        "refused connection from 192.0.2.7:40000: TLS handshake failed: unknown ca",
        "refused connection from 192.0.2.7:40099: TLS handshake failed: unknown ca "
        "(and 49 more from 192.0.2.7 since the last such line)",
    ]
