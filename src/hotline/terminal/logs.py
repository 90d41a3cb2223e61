"""The daemon's log: text or JSON lines, to stderr and ``DIR/terminal.log``, rotation-safe.

``hotline run --log-format json|text`` (or ``[log] format``) picks the format:
``text`` is one readable line per record, ``json`` one JSON object per line
(``time``, ``level``, ``logger``, ``message``, and ``exception`` when there is
one) for a log shipper. ``--log-file PATH`` moves the file; ``--log-file -``
writes to stderr only.

* **Rotation.** The file is written through a :class:`logging.handlers.WatchedFileHandler`:
  before each record it checks that the path still names the file it holds open,
  and reopens it if logrotate moved it away, so no signal is needed and
  ``copytruncate`` is not either (deploy/logrotate.conf).
* **journald.** Under systemd, stderr goes to the journal, which stamps each line
  itself; when ``JOURNAL_STREAM`` names our stderr the text lines on stderr carry no
  time of their own (the file's lines keep theirs).
* **Refusals** from one address are summarised by the daemon (one line, then one
  per interval with the count: daemon.py ``_refused``), so a scan cannot flood it.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

__all__ = [
    "LOG_FORMATS",
    "JsonFormatter",
    "configure_logging",
    "stderr_is_journald",
    "text_formatter",
]

#: ``--log-format`` and ``[log] format``.
LOG_FORMATS: Final = ("text", "json")


class JsonFormatter(logging.Formatter):
    """One JSON object per record, UTC times to the microsecond."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        line: dict[str, object] = {
            "time": f"{stamp}.{int(record.msecs * 1000) % 1_000_000:06d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def text_formatter(*, with_time: bool = True) -> logging.Formatter:
    """``2026-11-22T04:31:14Z hotline.terminal INFO …``; without the time for journald."""
    if not with_time:
        return logging.Formatter("%(name)s %(levelname)s %(message)s")
    formatter = logging.Formatter(
        "%(asctime)sZ %(name)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    return formatter


def stderr_is_journald(environ: Mapping[str, str] | None = None) -> bool:
    """True if stderr is the systemd journal's stream (``JOURNAL_STREAM`` = its dev:inode)."""
    value = (os.environ if environ is None else environ).get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    try:
        status = os.fstat(sys.stderr.fileno())
        return (status.st_dev, status.st_ino) == (int(device), int(inode))
    except (ValueError, OSError, AttributeError):
        return False


def configure_logging(
    log_file: Path | None, *, verbose: bool = False, log_format: str = "text"
) -> list[logging.Handler]:
    """Send the ``hotline`` loggers to stderr and, unless ``log_file`` is None, to that file.

    The file is created 0600 (it names peers and addresses). Returns the handlers added.
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format {log_format!r} is not one of {LOG_FORMATS}")
    root = logging.getLogger("hotline")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    stderr = logging.StreamHandler(sys.stderr)
    handlers: list[logging.Handler] = [stderr]
    if log_format == "json":
        stderr.setFormatter(JsonFormatter())
    else:
        stderr.setFormatter(text_formatter(with_time=not stderr_is_journald()))
    if log_file is not None:
        fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.close(fd)
        file = logging.handlers.WatchedFileHandler(log_file, encoding="utf-8")
        file.setFormatter(JsonFormatter() if log_format == "json" else text_formatter())
        handlers.append(file)
    for handler in handlers:
        root.addHandler(handler)
    return handlers
