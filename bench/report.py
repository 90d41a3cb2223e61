"""The ``--json`` convention shared by every bench script, and the median/spread of rounds.

With ``--json`` a script prints its usual human-readable lines first and then **one
JSON object on the last line of stdout**: ``{"bench": name, "figures": {...},
"parameters": {...}}``. ``figures`` holds every figure the human lines show;
``parameters`` holds the run's parameters (n, rounds, ...) and where it ran (Python
version, CPU count, ``git rev-parse --short HEAD`` when available). A reader takes the
last line: ``python -m bench.throughput --json | tail -n 1 | jq .figures``.

Standard library only, so that every bench (including ``bench/synapse.py``, which must
run without hotline installed in Synapse's venv) can use it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["JSON_HELP", "emit_json", "git_commit", "run_parameters", "spread"]

#: The --json option's help, the same in every benchmark.
JSON_HELP = "after the human-readable lines, print one JSON object (figures and parameters)"


def git_commit() -> str | None:
    """The checkout's short commit, or None outside a git checkout (or without git)."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def run_parameters(**parameters: Any) -> dict[str, Any]:
    """The run's own parameters plus where it ran: Python version, CPU count, commit."""
    return {
        **parameters,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "commit": git_commit(),
    }


def emit_json(bench: str, figures: Mapping[str, Any], **parameters: Any) -> dict[str, Any]:
    """Print the one JSON object (a single line) and return it."""
    result = {"bench": bench, "figures": dict(figures), "parameters": run_parameters(**parameters)}
    print(json.dumps(result, sort_keys=True), flush=True)
    return result


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max of one figure over the rounds of a run."""
    if not values:
        raise ValueError("no values")
    return {
        "median": float(statistics.median(values)),
        "min": float(min(values)),
        "max": float(max(values)),
    }
