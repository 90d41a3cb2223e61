"""The Store interface: abstract, complete, free of SQLite, and a context manager."""

from __future__ import annotations

import ast
import inspect

import pytest

import hotline.store
from hotline.store import SQLiteStore, Store, StoreStatistics
from hotline.store import base as base_module

# The methods the daemon and the CLI are written against; a backend provides all of them.
_INTERFACE = {
    "acknowledge_alarm",
    "get_meeting",
    "list_meetings",
    "put_meeting",
    "acknowledgements",
    "add_acknowledgement",
    "add_shift_note",
    "add_user",
    "get_user",
    "list_users",
    "shift_notes",
    "update_user",
    "add_alarm",
    "put_call",
    "get_call",
    "list_calls",
    "live_calls",
    "put_presence",
    "get_presence",
    "list_presence",
    "add_delivery_receipt",
    "clear_alarm",
    "open_alarms",
    "add_incoming",
    "add_outgoing",
    "add_peer",
    "append_journal",
    "close",
    "count_pending",
    "get_incoming_by_serial",
    "get_message",
    "get_party",
    "get_peer",
    "get_peer_by_key",
    "has_message",
    "iter_journal",
    "iter_messages",
    "journal_head",
    "last_contact",
    "last_incoming",
    "list_messages",
    "list_peers",
    "mark_transmitted",
    "next_outgoing_serial",
    "outgoing_after",
    "outgoing_ref",
    "pending_outgoing",
    "set_last_contact",
    "set_party",
    "statistics",
    "transaction",
    "verify_journal",
}


def test_interface_is_abstract_and_complete() -> None:
    assert Store.__abstractmethods__ == _INTERFACE
    with pytest.raises(TypeError):
        Store()  # type: ignore[abstract]
    assert not SQLiteStore.__abstractmethods__


def test_signatures_match_the_interface() -> None:
    for name in _INTERFACE:
        expected = inspect.signature(getattr(Store, name))
        actual = inspect.signature(getattr(SQLiteStore, name))
        assert list(actual.parameters) == list(expected.parameters), name
        for parameter in expected.parameters.values():
            assert actual.parameters[parameter.name].kind == parameter.kind, name
            assert actual.parameters[parameter.name].default == parameter.default, name


def test_interface_knows_nothing_of_sqlite() -> None:
    tree = ast.parse(inspect.getsource(base_module))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported
    assert not {name for name in imported if "sqlite" in name}
    code = ast.unparse(
        ast.Module(body=[n for n in tree.body if not isinstance(n, ast.Expr)], type_ignores=[])
    )
    assert "sqlite" not in code.lower()  # nor in any signature or body


def test_exports_sorted_and_present() -> None:
    names = hotline.store.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(hotline.store, name), name


def test_statistics_is_a_frozen_value() -> None:
    stats = StoreStatistics(commits=1, rollbacks=0)
    with pytest.raises(AttributeError):
        stats.commits = 2  # type: ignore[misc]
