"""The public surface of every package: ``__all__`` sorted, complete, and re-exporting its modules.

For each public package (httpx's tests/test_exported_members.py is the model):

* ``__all__`` is sorted as ``sorted()`` sorts (case-sensitive, so ``CONSTANT``
  and ``Class`` names interleave by code point) and has no repeats;
* every name in it exists in the package;
* every public class or function that a submodule defines and lists in its
  own ``__all__`` is re-exported by the package (the same object).

Private modules (``_name.py``) are helpers by their name and are not required
to be re-exported.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

PACKAGES = (
    "hotline.console",
    "hotline.crypto",
    "hotline.errors",
    "hotline.formats",
    "hotline.link",
    "hotline.proto",
    "hotline.store",
    "hotline.terminal",
    "hotline.terminal.config",
    "hotline.terminal.core",
    "hotline.terminal.desks.accounts",
    "hotline.terminal.desks.acks",
    "hotline.terminal.desks.calls",
    "hotline.terminal.desks.channels",
    "hotline.terminal.desks.deadlines",
    "hotline.terminal.desks.notifications",
    "hotline.terminal.desks.shiftlog",
    "hotline.terminal.linktest",
    "hotline.terminal.record",
    "hotline.terminal.runtime",
    "hotline.testing",
)

#: Packages whose ``__all__`` is a curated list, not "everything the submodules define":
#: their surface is written here, so growing it is a decision made in review.
CURATED = {
    # The record room: what the CLI (verify, record, export, audit), the console and the
    # benchmarks use. Witnessing internals stay in their modules.
    "hotline.terminal.record": [
        "AuditReport",
        "Bundle",
        "ExportSummary",
        "MessageAccount",
        "RecordKeeper",
        "RecordStatus",
        "RecordTree",
        "Selection",
        "VerifyReport",
        "Witnessing",
        "audit_bundle",
        "export_bundle",
        "record_origin",
        "record_status",
        "verify_store",
    ],
    # What the CLI, the console and the benchmarks use; a feature's own names
    # come from its desk (hotline.terminal.desks.<name>). At most 30 (issue 14).
    "hotline.terminal": [
        "Clock",
        "ControlClient",
        "DEFAULT_CHANNEL",
        "Notice",
        "Operator",
        "OutgoingText",
        "PeerStatus",
        "Permission",
        "Role",
        "RouteStatus",
        "SendLane",
        "Settings",
        "SystemClock",
        "Terminal",
        "TerminalPaths",
        "TerminalStatus",
        "UI_LANGUAGES",
        "VerifyReport",
        "add_peer_card",
        "hold_cpus_awake",
        "init_terminal",
        "is_exercise",
        "load_settings",
        "open_terminal",
        "percentile",
        "run_terminal",
        "verify_store",
    ],
}


#: Submodules left out of their package's namespace on purpose, and why.
NOT_REEXPORTED = {
    # FastAPI and uvicorn take ~0.3 s to import; CLI verbs that only talk to a
    # running daemon must not pay for them. The daemon imports it when it starts.
    "hotline.terminal.control",
    # The PostgreSQL backend and its test server need psycopg, the optional
    # `postgresql` extra: importing hotline.store must not require it.
    "hotline.store.postgresql",
    "hotline.testing.postgresql",
    # Copying a SQLite store into PostgreSQL needs psycopg too.
    "hotline.store.transfer",
}


def public_submodules(package: ModuleType) -> list[ModuleType]:
    """The package's public submodules, imported (none for a plain module)."""
    if not hasattr(package, "__path__"):
        return []
    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]


def defined_public_names(module: ModuleType) -> list[str]:
    """Classes and functions ``module`` itself defines and lists in its ``__all__``."""
    names = []
    for name in getattr(module, "__all__", ()):
        value = getattr(module, name, None)
        if name.startswith("_") or not (inspect.isclass(value) or inspect.isfunction(value)):
            continue
        if value.__module__ == module.__name__:
            names.append(name)
    return names


@pytest.mark.parametrize(
    "name",
    PACKAGES,
)
def test_all_is_sorted_without_repeats(name: str) -> None:
    exported = list(importlib.import_module(name).__all__)
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_name_in_all_exists(name: str) -> None:
    package = importlib.import_module(name)
    missing = [item for item in package.__all__ if not hasattr(package, item)]
    assert missing == []


@pytest.mark.parametrize("name", sorted(CURATED))
def test_a_curated_surface_is_the_written_list(name: str) -> None:
    exported = importlib.import_module(name).__all__
    assert list(exported) == CURATED[name]
    assert len(exported) <= 30


@pytest.mark.parametrize(
    "name",
    [package for package in PACKAGES if package not in CURATED],
)
def test_submodules_public_names_are_reexported(name: str) -> None:
    package = importlib.import_module(name)
    missing = {
        f"{module.__name__}.{item}"
        for module in public_submodules(package)
        if module.__name__ not in NOT_REEXPORTED
        for item in defined_public_names(module)
        if item not in package.__all__ or getattr(package, item) is not getattr(module, item)
    }
    assert missing == set()


def test_the_check_can_fail() -> None:
    """The helper sees what a module defines, and ignores what it only imports."""
    module = importlib.import_module("hotline.link.tls")
    defined = defined_public_names(module)
    assert {"TLSListener", "client_context", "dial", "server_context"} <= set(defined)
    assert "StreamTransport" not in defined  # imported from hotline.link.transport
    assert {m.__name__ for m in public_submodules(importlib.import_module("hotline.link"))} == {
        "hotline.link.backoff",
        "hotline.link.failover",
        "hotline.link.tls",
        "hotline.link.transport",
    }
