"""The Store interface: abstract, complete, split by domain, free of SQLite."""

from __future__ import annotations

import ast
import inspect
from types import ModuleType

import pytest

import hotline.store
import hotline.store.interfaces
from hotline.store import SQLiteStore, Store, StoreStatistics
from hotline.store import base as base_module
from hotline.store.interfaces import (
    _accounts,
    _alarms,
    _calls,
    _journal,
    _lifetime,
    _messages,
    _peers,
    _record,
)

_PARTS = [getattr(hotline.store.interfaces, name) for name in hotline.store.interfaces.__all__]
_PARTS.remove(StoreStatistics)

# The methods the daemon and the CLI are written against; a backend provides all of them.
_INTERFACE = {
    "fencing_epoch",
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
    "add_incoming_many",
    "add_outgoing",
    "add_outgoing_many",
    "add_peer",
    "append_journal",
    "append_journal_many",
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
    "damaged_messages",
    "journal_head",
    "journal_size",
    "last_contact",
    "last_incoming",
    "list_messages",
    "list_peers",
    "mark_transmitted",
    "mark_transmitted_many",
    "next_outgoing_serial",
    "outgoing_after",
    "outgoing_ref",
    "pending_outgoing",
    "set_last_contact",
    "set_party",
    "statistics",
    "transaction",
    "verify_journal",
    # the record (RecordStore)
    "record_tree_size",
    "add_record_nodes",
    "record_node",
    "record_nodes",
    "journal_entries",
    "journal_entry",
    "add_checkpoint",
    "latest_checkpoint",
    "checkpoint_at",
    "add_cosignature",
    "latest_cosignatures",
    "cosignatures_for",
    "add_witnessed",
    "latest_witnessed",
    "latest_witnessed_all",
    "add_record_conflict",
    "record_conflicts",
    # protocol v2 (ChainStore)
    "chain",
    "set_chain",
    "peer_protocol",
    "set_peer_protocol",
    "envelope_hashes",
    "deliver_range",
    "outgoing_counts",
    # messages to several parties (GroupStore)
    "add_group_links",
    "group_links",
    "group_members",
    "conference_groups",
    # channels with their own people (ChannelStore)
    "add_channel",
    "get_channel",
    "list_channels",
    "add_channel_member",
    "remove_channel_member",
    "channel_members",
    "add_peer_channel",
    "peer_channels",
    "add_channel_announcement",
    "announced_channels",
    # conferences (ConferenceStore)
    "add_conference",
    "get_conference",
    "list_conferences",
    "add_roster",
    "rosters",
    "latest_roster",
    "add_answer",
    "conference_answers",
    # releases of marked messages (ReleaseStore)
    "add_release",
    "release_of",
    "releases",
    # joint statements (StatementStore)
    "add_statement_draft",
    "statement_draft",
    "statement_drafts",
    "list_statements",
    "add_statement_signature",
    "statement_signatures",
    "add_statement_outcome",
    "statement_outcome",
    # fingerprint checks and removed peers (PeerConfirmationStore)
    "add_peer_confirmation",
    "peer_confirmations",
    "mark_peer_removed",
    "peer_removals",
    "clear_peer_removal",
    # outgoing chain positions adopted from a peer (ChainAdoptionStore)
    "adopt_outgoing_chain",
    "chain_adoptions",
    # peers' operational key certificates (PeerKeyStore)
    "add_peer_key_certificate",
    "peer_key_certificates",
    # peers' master changes, pending until confirmed (PeerMasterStore)
    "add_peer_master_change",
    "peer_master_changes",
    "confirm_peer_master_change",
    # peers' revoked operational keys (PeerKeyRevocationStore)
    "add_peer_key_revocation",
    "peer_key_revocations",
    # peers' encryption keys switched to by key events (PeerEncryptionKeyStore)
    "set_peer_encryption_key",
    "peer_encryption_keys",
    # this terminal's sealed key files, for its standby (KeyFileStore)
    "publish_key_files",
    "key_files",
    "key_files_generation",
}


def test_interface_is_abstract_and_complete() -> None:
    assert Store.__abstractmethods__ == _INTERFACE
    with pytest.raises(TypeError):
        Store()  # type: ignore[abstract]
    assert not SQLiteStore.__abstractmethods__


def test_store_is_the_parts_together() -> None:
    # Every method belongs to exactly one part, and Store adds none of its own.
    assert set(Store.__mro__[1 : 1 + len(_PARTS)]) == set(_PARTS)
    methods = [name for part in _PARTS for name in part.__abstractmethods__]
    assert len(methods) == len(set(methods))
    assert set(methods) == Store.__abstractmethods__
    assert not {name for name in vars(Store) if not name.startswith("_")}
    for part in _PARTS:
        assert part.__doc__, part  # each states its contract
        assert getattr(hotline.store, part.__name__) is part


def test_sqlite_implements_each_part_in_its_own_mixin() -> None:
    for part in _PARTS:
        if part is hotline.store.TransactionalStore:
            continue
        mixins = [
            cls for cls in SQLiteStore.__mro__[1:] if part in cls.__bases__ and cls is not Store
        ]
        (mixin,) = mixins
        assert set(part.__abstractmethods__) <= set(vars(mixin)), (part, mixin)


@pytest.mark.parametrize(
    "module",
    [base_module, _accounts, _alarms, _calls, _journal, _lifetime, _messages, _peers, _record],
)
def test_interface_knows_nothing_of_sqlite(module: ModuleType) -> None:
    tree = ast.parse(inspect.getsource(module))
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
