"""The layer rules: which hotline packages may import which, checked on the source.

Layers, bottom up (src/hotline/__init__.py draws them):

1. ``proto`` (sans-IO protocol), ``crypto`` (pure crypto) and ``formats``:
   stdlib, third party and the bottom modules (``hotline.errors``,
   ``hotline.utc``, ``hotline.statetable``) only, and not each other.
2. ``store`` and ``link``: layer 1 too, but not each other.
3. ``terminal``: layers 1 and 2. Inside it, rooms (:data:`TERMINAL_ROOMS`):
   runtime < config < core < linktest, desks and record; a desk never imports another
   desk; the top modules (daemon, runner, control, client) may import any room.
4. ``console`` and ``cli``: the terminal (and crypto, formats; the console also
   the store's records), never each other's internals (cli may start the console).

``testing`` may import anything, and nothing else in src may import it. A
subpackage that does not exist yet is skipped; a new one must get a rule here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "hotline"

BASE = frozenset({"hotline.errors", "hotline.utc", "hotline.statetable", "hotline.freetext"})
LAYER1 = frozenset({"hotline.proto", "hotline.crypto", "hotline.formats"})
LAYER2 = frozenset({"hotline.store", "hotline.link"})
ANYTHING = frozenset({"*"})

#: For each subpackage, the hotline packages (besides itself) it may import.
ALLOWED: dict[str, frozenset[str]] = {
    "hotline.proto": BASE,
    "hotline.crypto": BASE,
    # Pure notification schemas (tests/formats/test_package.py checks it does no I/O).
    "hotline.formats": BASE,
    "hotline.store": BASE | LAYER1,
    "hotline.link": BASE | LAYER1,
    "hotline.terminal": BASE | LAYER1 | LAYER2,
    # cmd_run serves the console when the settings name an address.
    "hotline.cli": BASE
    | {"hotline.terminal", "hotline.crypto", "hotline.console", "hotline.formats"},
    "hotline.console": BASE
    | {"hotline.terminal", "hotline.crypto", "hotline.store", "hotline.formats"},
    "hotline.testing": ANYTHING,
}
#: The bottom modules depend on nothing else in hotline.
BOTTOM = {
    "hotline.errors": frozenset[str](),
    "hotline.utc": frozenset[str](),
    # The state-table shape proto, formats and terminal share: pure data, no I/O.
    "hotline.statetable": frozenset[str](),
    # What free text may hold; its refusal is an InvalidArgument.
    "hotline.freetext": frozenset({"hotline.errors"}),
}

#: Standard-library modules the sans-IO package must never import itself: no
#: I/O, no threads, no clock, no global randomness.
PROTO_FORBIDDEN_STDLIB = frozenset(
    {"asyncio", "ssl", "socket", "sqlite3", "threading", "time", "random", "secrets", "selectors"}
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def parse(source: str) -> ast.Module:
    """``ast.parse``, retried once on CPython 3.11's spurious recursion-depth SystemError.

    3.11 keeps the AST converter's recursion counter in shared module state; after the suite
    has run deep recursions elsewhere in the same process it can report "AST constructor
    recursion depth mismatch" on a valid file (seen once in CI). The counter is reset at the
    start of every call, so a second parse of the same text is a fair answer.
    """
    try:
        return ast.parse(source)
    except SystemError:
        return ast.parse(source)


def imports_in(source: str, module: str, *, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module that ``source`` (the text of ``module``) imports, absolute, with its line."""
    for node in ast.walk(parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                # A relative import: climb from the module's own package.
                package = module.split(".") if is_package else module.split(".")[:-1]
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            yield node.lineno, base
            # `from hotline import proto` imports hotline.proto; `from hotline
            # import __version__` imports only the root package.
            if base == "hotline":
                for alias in node.names:
                    if (PACKAGE / alias.name).is_dir() or (PACKAGE / f"{alias.name}.py").is_file():
                        yield node.lineno, f"hotline.{alias.name}"


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """Every module the file at ``path`` imports, absolute, with its line number."""
    return imports_in(
        path.read_text(encoding="utf-8"), module_name(path), is_package=path.name == "__init__.py"
    )


def hotline_owner(module: str) -> str | None:
    """The subpackage or bottom module a hotline import belongs to, else None."""
    parts = module.split(".")
    if parts[0] != "hotline" or len(parts) == 1:
        return None
    return f"hotline.{parts[1]}"


def source_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def rule_for(module: str, *, is_package: bool) -> tuple[str, frozenset[str]] | None:
    """(owner, the hotline packages it may import) for ``module``; None if no rule covers it."""
    owner = hotline_owner(module)
    if owner is None:  # hotline/__init__.py: documents the layers, imports none
        return "hotline", frozenset()
    if owner in BOTTOM:
        return owner, BOTTOM[owner]
    if owner in ALLOWED:
        return owner, ALLOWED[owner]
    if module == owner and not is_package:
        # Another top-level module (__main__): an entry point, held to cli's rule.
        return owner, ALLOWED["hotline.cli"] | {"hotline.cli"}
    return None


def check_module(module: str, source: str, *, is_package: bool, where: str) -> list[str]:
    """The layer violations in one module's source."""
    rule = rule_for(module, is_package=is_package)
    if rule is None:
        return [f"{where}: {hotline_owner(module)} has no layer rule; add one to {__name__}"]
    owner, allowed = rule
    found = []
    for line, imported in imports_in(source, module, is_package=is_package):
        target = hotline_owner(imported)
        if target is None or target == owner:
            continue
        if target == "hotline.testing" and owner != "hotline.testing":
            found.append(f"{where}:{line}: imports {imported}; nothing in src may import testing")
        elif allowed != ANYTHING and target not in allowed:
            found.append(f"{where}:{line}: {owner} may not import {imported}")
    return found


#: Inside ``hotline.terminal``: the rooms, bottom up, and the rooms each may import.
#: A desk (``hotline.terminal.desks.<name>``) may import the core and below, never
#: another desk; the modules at the top (daemon, runner, control, client) assemble
#: everything and may import any room.
TERMINAL_ROOMS: dict[str, frozenset[str]] = {
    "runtime": frozenset(),
    "config": frozenset({"runtime"}),
    "core": frozenset({"runtime", "config"}),
    "linktest": frozenset({"runtime", "config", "core"}),
    "desks": frozenset({"runtime", "config", "core"}),
    "record": frozenset({"runtime", "config", "core"}),
}


def terminal_room(module: str) -> str | None:
    """The room of a module inside hotline.terminal ("desks.calls" for a desk), else None.

    None too for the top modules (daemon, runner, control, client, the package itself).
    """
    parts = module.split(".")
    if parts[:2] != ["hotline", "terminal"] or len(parts) < 3 or parts[2] not in TERMINAL_ROOMS:
        return None
    if parts[2] == "desks":
        return "desks" if len(parts) == 3 else f"desks.{parts[3]}"
    return parts[2]


def check_terminal_rooms(module: str, source: str, *, is_package: bool, where: str) -> list[str]:
    """Room violations inside hotline.terminal in one module's source."""
    room = terminal_room(module)
    if room is None:
        return []
    allowed = TERMINAL_ROOMS[room.split(".")[0]]
    found = []
    for line, imported in imports_in(source, module, is_package=is_package):
        target = terminal_room(imported)
        if imported.split(".")[:2] == ["hotline", "terminal"] and target is None:
            found.append(f"{where}:{line}: {room} may not import {imported} (the top)")
            continue
        if target is None or target == room:
            continue
        if room.startswith("desks.") and target.startswith("desks"):
            found.append(f"{where}:{line}: desk {room} may not import {imported} (another desk)")
        elif target.split(".")[0] not in allowed and not (
            room == "desks" and target.startswith("desks.")
        ):
            found.append(f"{where}:{line}: {room} may not import {imported}")
    return found


def violations() -> list[str]:
    found = []
    for path in source_files():
        found += check_module(
            module_name(path),
            path.read_text(encoding="utf-8"),
            is_package=path.name == "__init__.py",
            where=str(path.relative_to(SRC)),
        )
        found += check_terminal_rooms(
            module_name(path),
            path.read_text(encoding="utf-8"),
            is_package=path.name == "__init__.py",
            where=str(path.relative_to(SRC)),
        )
    return found


def test_the_layer_rules_hold() -> None:
    assert violations() == []


def test_proto_imports_no_io_clock_or_randomness() -> None:
    bad = []
    for path in sorted((PACKAGE / "proto").rglob("*.py")):
        for line, module in imports_of(path):
            if module.split(".")[0] in PROTO_FORBIDDEN_STDLIB:
                bad.append(f"{path.relative_to(SRC)}:{line}: {module}")
    assert bad == []


def test_importing_proto_pulls_in_no_io_modules() -> None:
    # A fresh interpreter, so modules other tests imported do not count.
    code = (
        "import sys, hotline.proto\n"
        "bad = sorted({'asyncio', 'ssl', 'socket', 'sqlite3', 'threading'} & set(sys.modules))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "", f"hotline.proto imports {result.stdout.strip()}"


# -- the checker itself must be able to fail ---------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import hotline.crypto.identity", ["hotline.crypto.identity"]),
        ("from hotline import proto, errors", ["hotline", "hotline.proto", "hotline.errors"]),
        ("from hotline import __version__", ["hotline"]),
        ("from ..crypto import identity", ["hotline.crypto"]),
        ("from . import framing", ["hotline.proto"]),
        ("from .events import Data", ["hotline.proto.events"]),
        ("import cbor2, struct", ["cbor2", "struct"]),
    ],
)
def test_imports_are_resolved(source: str, expected: list[str]) -> None:
    found = imports_in(source, "hotline.proto.framing", is_package=False)
    assert [name for _, name in found] == expected


def test_relative_imports_in_a_package_init() -> None:
    found = imports_in("from .events import Data", "hotline.proto", is_package=True)
    assert [name for _, name in found] == ["hotline.proto.events"]


@pytest.mark.parametrize(
    ("module", "source", "is_package", "count"),
    [
        ("hotline.proto.framing", "from hotline.crypto import envelope", False, 1),
        ("hotline.proto.framing", "from hotline.errors import LocalProtocolError", False, 0),
        ("hotline.errors", "from hotline.proto import CloseCode", False, 1),
        ("hotline.formats.launch", "from hotline.utc import parse_utc", False, 0),
        ("hotline.formats.launch", "from hotline.crypto import Precedence", False, 1),
        ("hotline.crypto.card", "from hotline import proto", False, 1),
        ("hotline.store.sqlite", "import hotline.link.tls", False, 1),
        ("hotline.link.tls", "from hotline.store import Store", False, 1),
        ("hotline.link.tls", "from hotline.terminal import daemon", False, 1),
        ("hotline.link.tls", "from ..proto import Connection", False, 0),
        ("hotline.terminal.core.session", "from hotline import proto, store, link", False, 0),
        ("hotline.terminal.core.session", "from hotline.cli import main", False, 1),
        ("hotline.cli.cmd_send", "from hotline.terminal import client", False, 0),
        ("hotline.cli.cmd_send", "from hotline.store import sqlite", False, 1),
        ("hotline.cli.cmd_send", "import hotline.proto", False, 1),
        ("hotline.cli", "from .cmd_send import run", True, 0),
        ("hotline.terminal.daemon", "from hotline.testing import FakeClock", False, 1),
        ("hotline.testing.memory", "from hotline.link import transport", False, 0),
        ("hotline.errors", "from hotline.utc import format_utc", False, 1),
        ("hotline.proto.states", "from hotline.statetable import StateTable", False, 0),
        ("hotline.formats.meetingstate", "from hotline.statetable import StateTable", False, 0),
        ("hotline.statetable", "from hotline.errors import CallError", False, 1),
        ("hotline.statetable", "from hotline.proto import Hello", False, 1),
        ("hotline.__main__", "from hotline.cli import main", False, 0),
        ("hotline.__main__", "from hotline.store import sqlite", False, 1),
        ("hotline.newthing", "import json", True, 1),
        ("hotline.newthing.part", "import json", False, 1),
    ],
)
def test_the_checker_catches_violations(
    module: str, source: str, is_package: bool, count: int
) -> None:
    assert len(check_module(module, source, is_package=is_package, where="probe")) == count


@pytest.mark.parametrize(
    ("module", "source", "count"),
    [
        ("hotline.terminal.desks.calls.desk", "from hotline.terminal.core.outbox import Outbox", 0),
        (
            "hotline.terminal.desks.calls.desk",
            "from hotline.terminal.desks.calls.state import X",
            0,
        ),
        ("hotline.terminal.desks.calls.desk", "from hotline.terminal.desks.acks import AckDesk", 1),
        (
            "hotline.terminal.desks.calls.desk",
            "from hotline.terminal.linktest.desk import LineTester",
            1,
        ),
        ("hotline.terminal.desks.calls.desk", "from hotline.terminal.daemon import Terminal", 1),
        ("hotline.terminal.desks.calls.desk", "from hotline.terminal import Terminal", 1),
        ("hotline.terminal.core.session", "from hotline.terminal.desks.acks import AckDesk", 1),
        ("hotline.terminal.core.session", "from hotline.terminal.config.settings import X", 0),
        ("hotline.terminal.config.settings", "from hotline.terminal.core import Outbox", 1),
        ("hotline.terminal.runtime.clock", "from hotline.terminal.config import Settings", 1),
        ("hotline.terminal.linktest.tester", "from hotline.terminal.core.line import PeerLine", 0),
        ("hotline.terminal.daemon", "from hotline.terminal.desks.calls import CallDesk", 0),
    ],
)
def test_the_room_checker_catches_violations(module: str, source: str, count: int) -> None:
    assert len(check_terminal_rooms(module, source, is_package=False, where="probe")) == count


def test_owner_of_imports() -> None:
    assert hotline_owner("hotline.proto.events") == "hotline.proto"
    assert hotline_owner("hotline.errors") == "hotline.errors"
    assert hotline_owner("hotline") is None
    assert hotline_owner("cbor2") is None
