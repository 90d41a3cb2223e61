"""The SQLite statements of each schema migration, by version (see :mod:`hotline.store.schema`).

Released statements are never edited: SQLite keeps each ``CREATE`` statement's
text in ``sqlite_schema``, and a database made by an older hotline must look
the same as one made today. A new migration adds a ``VERSION_n`` tuple here and
a step in ``schema.MIGRATIONS``.

The rules SQL can enforce on its own are enforced here too, as a second line
behind the store's checks: the journal is append-only and gapless, message
envelopes, serials and hashes never change, a receipt once stored stays, and
messages are never deleted.
"""

from __future__ import annotations

__all__ = [
    "CHANNELS",
    "CHANNEL_ANNOUNCEMENTS",
    "CONFERENCES",
    "FENCING",
    "PEER_CONFIRMATIONS",
    "PEER_KEY_REVOCATIONS",
    "RELEASES",
    "STATEMENTS",
    "VERSION_1",
    "VERSION_2",
    "VERSION_3",
    "VERSION_4",
    "VERSION_5",
    "VERSION_6",
    "VERSION_7",
    "VERSION_8",
]

_CREATE_PARTY = """
CREATE TABLE party (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    party          TEXT NOT NULL,
    signing_key    BLOB NOT NULL,
    encryption_key BLOB NOT NULL,
    routes         TEXT NOT NULL,  -- JSON array of str
    timezone       TEXT NOT NULL,
    created_at     TEXT NOT NULL
)"""

_CREATE_PEERS = """
CREATE TABLE peers (
    party          TEXT PRIMARY KEY,
    signing_key    BLOB NOT NULL UNIQUE,
    encryption_key BLOB NOT NULL,
    routes         TEXT NOT NULL,  -- JSON array of str
    timezone       TEXT NOT NULL,
    certificate    BLOB NOT NULL,
    card_json      TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    added_at       TEXT NOT NULL,
    last_contact   TEXT
)"""

_PEER_KEYS_IMMUTABLE = """
CREATE TRIGGER peers_keys_immutable
BEFORE UPDATE OF party, signing_key, encryption_key, added_at ON peers
BEGIN
    SELECT RAISE(ABORT, 'a peer''s name, keys and added_at never change');
END"""

_CREATE_MESSAGES = """
CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    direction      TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    peer           TEXT NOT NULL REFERENCES peers (party),
    channel        TEXT NOT NULL,
    serial         INTEGER NOT NULL CHECK (serial >= 1),
    time_group     TEXT NOT NULL,
    sent_at        TEXT NOT NULL,
    precedence     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    text           TEXT NOT NULL,
    body           BLOB NOT NULL,
    envelope       BLOB NOT NULL,
    envelope_hash  BLOB NOT NULL CHECK (length(envelope_hash) = 32),
    state          TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'delivered')),
    created_at     TEXT NOT NULL,
    transmitted_at TEXT,
    delivered_at   TEXT,
    receipt        BLOB,
    UNIQUE (peer, direction, serial)
)"""

# Newest-first listings, overall and per peer.
_INDEX_MESSAGES_CREATED = "CREATE INDEX messages_created ON messages (created_at, serial)"
_INDEX_MESSAGES_PEER_CREATED = (
    "CREATE INDEX messages_peer_created ON messages (peer, created_at, serial)"
)
# The outbox: only unreceipted outgoing rows, which stay few however long the history.
_INDEX_MESSAGES_PENDING = """
CREATE INDEX messages_pending ON messages (peer, serial)
WHERE direction = 'out' AND receipt IS NULL"""

_MESSAGES_SERIAL_IN_ORDER = """
CREATE TRIGGER messages_serial_in_order
BEFORE INSERT ON messages
WHEN NEW.serial IS NOT (
    SELECT coalesce(max(serial), 0) + 1 FROM messages
    WHERE peer = NEW.peer AND direction = NEW.direction
)
BEGIN
    SELECT RAISE(ABORT, 'message serials run 1, 2, 3... per peer and direction');
END"""

_MESSAGES_CONTENT_IMMUTABLE = """
CREATE TRIGGER messages_content_immutable
BEFORE UPDATE OF id, direction, peer, channel, serial, time_group, sent_at, precedence, kind,
                 text, body, envelope, envelope_hash, created_at ON messages
BEGIN
    SELECT RAISE(ABORT, 'a stored message''s envelope, serial and content never change');
END"""

_MESSAGES_RECEIPT_ONCE = """
CREATE TRIGGER messages_receipt_once
BEFORE UPDATE OF receipt, delivered_at ON messages
WHEN OLD.receipt IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a stored receipt never changes');
END"""

_MESSAGES_NO_DELETE = """
CREATE TRIGGER messages_no_delete
BEFORE DELETE ON messages
BEGIN
    SELECT RAISE(ABORT, 'messages are never deleted');
END"""

_CREATE_JOURNAL = """
CREATE TABLE journal (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    data      TEXT NOT NULL,  -- JSON object
    prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
    hash      BLOB NOT NULL CHECK (length(hash) = 32)
)"""

_JOURNAL_NO_UPDATE = """
CREATE TRIGGER journal_no_update
BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END"""

_JOURNAL_NO_DELETE = """
CREATE TRIGGER journal_no_delete
BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END"""

_JOURNAL_APPEND_AT_HEAD = """
CREATE TRIGGER journal_append_at_head
BEFORE INSERT ON journal
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM journal)
  OR NEW.prev_hash IS NOT coalesce(
        (SELECT hash FROM journal ORDER BY seq DESC LIMIT 1), zeroblob(32))
BEGIN
    SELECT RAISE(ABORT, 'journal entries are appended at the head, chained to it');
END"""

_CREATE_ALARMS = """
CREATE TABLE alarms (
    id         TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    peer       TEXT NOT NULL,
    route      TEXT,
    since      TEXT NOT NULL,
    detail     TEXT NOT NULL,
    cleared_at TEXT,
    cleared_by TEXT,
    CHECK ((cleared_at IS NULL) = (cleared_by IS NULL))
)"""

_INDEX_ALARMS_OPEN = "CREATE INDEX alarms_open ON alarms (since) WHERE cleared_at IS NULL"

_ALARMS_CLEARED_ONCE = """
CREATE TRIGGER alarms_cleared_once
BEFORE UPDATE ON alarms
WHEN OLD.cleared_at IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.kind IS NOT OLD.kind OR NEW.peer IS NOT OLD.peer
  OR NEW.route IS NOT OLD.route OR NEW.since IS NOT OLD.since OR NEW.detail IS NOT OLD.detail
BEGIN
    SELECT RAISE(ABORT, 'an alarm is only ever cleared, once');
END"""

_ALARMS_NO_DELETE = """
CREATE TRIGGER alarms_no_delete
BEFORE DELETE ON alarms
BEGIN
    SELECT RAISE(ABORT, 'alarms are never deleted');
END"""

_CREATE_USERS = """
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    language      TEXT NOT NULL,
    signing_key   BLOB NOT NULL,
    wrapped_key   BLOB NOT NULL,
    key_salt      BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
)"""

_CREATE_ACKS = """
CREATE TABLE acknowledgements (
    message_id         TEXT PRIMARY KEY,
    direction          TEXT NOT NULL CHECK (direction IN ('given', 'received')),
    by_name            TEXT NOT NULL,
    at                 TEXT NOT NULL,
    ack_id             TEXT NOT NULL,
    operator_key       BLOB NOT NULL,
    operator_signature BLOB NOT NULL
)"""

_ACKS_IMMUTABLE = """
CREATE TRIGGER acknowledgements_immutable
BEFORE UPDATE ON acknowledgements
BEGIN
    SELECT RAISE(ABORT, 'an acknowledgement is never changed');
END"""

_ACKS_NO_DELETE = """
CREATE TRIGGER acknowledgements_no_delete
BEFORE DELETE ON acknowledgements
BEGIN
    SELECT RAISE(ABORT, 'an acknowledgement is never deleted');
END"""

_CREATE_SHIFT_NOTES = """
CREATE TABLE shift_notes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    author     TEXT NOT NULL,
    text       TEXT NOT NULL,
    at         TEXT NOT NULL,
    author_key BLOB NOT NULL,
    signature  BLOB NOT NULL
)"""

_SHIFT_NOTES_APPEND_ONLY = """
CREATE TRIGGER shift_notes_append_only
BEFORE UPDATE ON shift_notes
BEGIN
    SELECT RAISE(ABORT, 'shift notes are append-only');
END"""

_SHIFT_NOTES_NO_DELETE = """
CREATE TRIGGER shift_notes_no_delete
BEFORE DELETE ON shift_notes
BEGIN
    SELECT RAISE(ABORT, 'shift notes are append-only');
END"""

_CREATE_MEETINGS = """
CREATE TABLE meetings (
    proposal_id TEXT PRIMARY KEY,
    peer        TEXT NOT NULL,
    state       TEXT NOT NULL,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    last_reply  TEXT
)"""

_CREATE_CALLS = """
CREATE TABLE calls (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    peer             TEXT NOT NULL,
    direction        TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    channel          TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('video', 'audio')),
    state            TEXT NOT NULL,
    requested_at     TEXT NOT NULL,
    our_fingerprint  TEXT,
    peer_fingerprint TEXT,
    answered_at      TEXT,
    ended_at         TEXT,
    outcome          TEXT,
    reason           TEXT,
    placed_by        TEXT,
    answered_by      TEXT,
    ended_by         TEXT
)"""

# The record of a call that has ended is final: both parties keep it as it was.
_CALLS_ENDED_FINAL = """
CREATE TRIGGER calls_ended_final
BEFORE UPDATE ON calls
WHEN OLD.outcome IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'the record of an ended call is never changed');
END"""

_CALLS_NO_DELETE = """
CREATE TRIGGER calls_no_delete
BEFORE DELETE ON calls
BEGIN
    SELECT RAISE(ABORT, 'a call record is never deleted');
END"""

_INDEX_CALLS_LIVE = "CREATE INDEX calls_live ON calls (seq) WHERE outcome IS NULL"

_CREATE_PRESENCE = """
CREATE TABLE presence_requests (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    peer         TEXT NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    channel      TEXT NOT NULL,
    note         TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    answered_at  TEXT,
    answered_by  TEXT
)"""

_PRESENCE_ANSWERED_ONCE = """
CREATE TRIGGER presence_answered_once
BEFORE UPDATE ON presence_requests
WHEN OLD.answered_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a presence request is answered once');
END"""

_PRESENCE_NO_DELETE = """
CREATE TRIGGER presence_no_delete
BEFORE DELETE ON presence_requests
BEGIN
    SELECT RAISE(ABORT, 'a presence request is never deleted');
END"""

# -- version 6: the record (docs/store.md §8). Every table is append-only; sizes only grow.

_CREATE_RECORD_TREE = """
CREATE TABLE record_tree (
    size INTEGER PRIMARY KEY CHECK (size >= 1)  -- one row per batch: the tree size is the largest
)"""

_RECORD_TREE_GROWS = """
CREATE TRIGGER record_tree_grows
BEFORE INSERT ON record_tree
WHEN NEW.size <= (SELECT coalesce(max(size), 0) FROM record_tree)
BEGIN
    SELECT RAISE(ABORT, 'the record tree only grows');
END"""

_CREATE_RECORD_NODES = """
CREATE TABLE record_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID"""

_CREATE_RECORD_CHECKPOINTS = """
CREATE TABLE record_checkpoints (
    size      INTEGER PRIMARY KEY CHECK (size >= 0),
    root      BLOB NOT NULL CHECK (length(root) = 32),
    note      BLOB NOT NULL,
    issued_at TEXT NOT NULL
)"""

_RECORD_CHECKPOINTS_GROW = """
CREATE TRIGGER record_checkpoints_grow
BEFORE INSERT ON record_checkpoints
WHEN NEW.size <= (SELECT max(size) FROM record_checkpoints)
BEGIN
    SELECT RAISE(ABORT, 'our checkpoints are issued in increasing size');
END"""

_CREATE_RECORD_COSIGNATURES = """
CREATE TABLE record_cosignatures (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    peer        TEXT NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    root        BLOB NOT NULL CHECK (length(root) = 32),
    timestamp   INTEGER NOT NULL CHECK (timestamp >= 0),
    line        TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (peer, line)
)"""

_INDEX_RECORD_COSIGNATURES_NEWEST = (
    "CREATE INDEX record_cosignatures_newest ON record_cosignatures (peer, size, timestamp, id)"
)

_INDEX_RECORD_COSIGNATURES_SIZE = (
    "CREATE INDEX record_cosignatures_size ON record_cosignatures (size, id)"
)

_CREATE_RECORD_WITNESSED = """
CREATE TABLE record_witnessed (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    peer        TEXT NOT NULL,
    size        INTEGER NOT NULL CHECK (size >= 0),
    root        BLOB NOT NULL CHECK (length(root) = 32),
    note        BLOB NOT NULL,
    cosigned_at TEXT NOT NULL,
    UNIQUE (peer, note)
)"""

_INDEX_RECORD_WITNESSED_NEWEST = (
    "CREATE INDEX record_witnessed_newest ON record_witnessed (peer, size, id)"
)

_RECORD_WITNESSED_FORWARD = """
CREATE TRIGGER record_witnessed_forward
BEFORE INSERT ON record_witnessed
WHEN EXISTS (SELECT 1 FROM record_witnessed WHERE peer = NEW.peer
             AND (size > NEW.size OR (size = NEW.size AND root IS NOT NEW.root)))
BEGIN
    SELECT RAISE(ABORT, 'a witnessed log never goes back or forks; record a conflict');
END"""

_CREATE_RECORD_CONFLICTS = """
CREATE TABLE record_conflicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    log         TEXT NOT NULL,
    peer        TEXT NOT NULL,
    kind        TEXT NOT NULL
                CHECK (kind IN ('fork', 'rollback', 'bad-proof', 'bad-signature')),
    detected_at TEXT NOT NULL,
    known       BLOB NOT NULL,
    offered     BLOB NOT NULL,
    proof       BLOB NOT NULL CHECK (length(proof) % 32 = 0),  -- the hashes, concatenated
    detail      TEXT NOT NULL
)"""


def _append_only(table: str) -> tuple[str, str]:
    # Part of released step 6: its text must never change (see the module docstring).
    return (
        f"CREATE TRIGGER {table}_no_update\nBEFORE UPDATE ON {table}\nBEGIN\n"
        f"    SELECT RAISE(ABORT, 'the record is append-only');\nEND",
        f"CREATE TRIGGER {table}_no_delete\nBEFORE DELETE ON {table}\nBEGIN\n"
        f"    SELECT RAISE(ABORT, 'the record is append-only');\nEND",
    )


VERSION_1 = (
    _CREATE_PARTY,
    _CREATE_PEERS,
    _PEER_KEYS_IMMUTABLE,
    _CREATE_MESSAGES,
    _INDEX_MESSAGES_CREATED,
    _INDEX_MESSAGES_PEER_CREATED,
    _INDEX_MESSAGES_PENDING,
    _MESSAGES_SERIAL_IN_ORDER,
    _MESSAGES_CONTENT_IMMUTABLE,
    _MESSAGES_RECEIPT_ONCE,
    _MESSAGES_NO_DELETE,
    _CREATE_JOURNAL,
    _JOURNAL_NO_UPDATE,
    _JOURNAL_NO_DELETE,
    _JOURNAL_APPEND_AT_HEAD,
)
"""Party, peers, messages and journal, with their integrity triggers."""

VERSION_2 = (_CREATE_ALARMS, _INDEX_ALARMS_OPEN, _ALARMS_CLEARED_ONCE, _ALARMS_NO_DELETE)
"""Alarms about the line."""

VERSION_3 = (
    _CREATE_USERS,
    _CREATE_ACKS,
    _ACKS_IMMUTABLE,
    _ACKS_NO_DELETE,
    _CREATE_SHIFT_NOTES,
    _SHIFT_NOTES_APPEND_ONLY,
    _SHIFT_NOTES_NO_DELETE,
    "ALTER TABLE alarms ADD COLUMN acknowledged_at TEXT",
    "ALTER TABLE alarms ADD COLUMN acknowledged_by TEXT",
)
"""Console accounts, acknowledgements, shift notes; alarms can be acknowledged."""

VERSION_4 = (_CREATE_MEETINGS,)
"""Meeting proposals."""

VERSION_5 = (
    _CREATE_CALLS,
    _CALLS_ENDED_FINAL,
    _CALLS_NO_DELETE,
    _INDEX_CALLS_LIVE,
    _CREATE_PRESENCE,
    _PRESENCE_ANSWERED_ONCE,
    _PRESENCE_NO_DELETE,
)
"""Call records and presence requests."""

VERSION_6 = (
    _CREATE_RECORD_TREE,
    _RECORD_TREE_GROWS,
    *_append_only("record_tree"),
    _CREATE_RECORD_NODES,
    *_append_only("record_nodes"),
    _CREATE_RECORD_CHECKPOINTS,
    _RECORD_CHECKPOINTS_GROW,
    *_append_only("record_checkpoints"),
    _CREATE_RECORD_COSIGNATURES,
    _INDEX_RECORD_COSIGNATURES_NEWEST,
    _INDEX_RECORD_COSIGNATURES_SIZE,
    *_append_only("record_cosignatures"),
    _CREATE_RECORD_WITNESSED,
    _INDEX_RECORD_WITNESSED_NEWEST,
    _RECORD_WITNESSED_FORWARD,
    *_append_only("record_witnessed"),
    _CREATE_RECORD_CONFLICTS,
    *_append_only("record_conflicts"),
)
"""The record: tree nodes over the journal, our checkpoints, cosignatures, witnessed, conflicts."""

_CREATE_CHAINS = """
CREATE TABLE chains (
    peer      TEXT NOT NULL REFERENCES peers (party),
    direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    epoch     INTEGER NOT NULL CHECK (epoch >= 1),
    idx       INTEGER NOT NULL CHECK (idx >= 0),
    key       BLOB NOT NULL CHECK (length(key) = 32),
    PRIMARY KEY (peer, direction)
)"""

_CREATE_PEER_PROTOCOLS = """
CREATE TABLE peer_protocols (
    peer    TEXT PRIMARY KEY REFERENCES peers (party),
    version INTEGER NOT NULL CHECK (version >= 1)
)"""

VERSION_7 = (_CREATE_CHAINS, _CREATE_PEER_PROTOCOLS)
"""Protocol v2: each direction's message-key chain, and the protocol each peer speaks."""

_CREATE_MESSAGE_GROUPS = """
CREATE TABLE message_groups (
    message_id   TEXT PRIMARY KEY REFERENCES messages (id),
    group_id     TEXT NOT NULL,
    payload_hash BLOB NOT NULL CHECK (length(payload_hash) = 32),
    conference   TEXT
)"""

_INDEX_MESSAGE_GROUPS_GROUP = "CREATE INDEX message_groups_group ON message_groups (group_id)"

_INDEX_MESSAGE_GROUPS_CONFERENCE = (
    "CREATE INDEX message_groups_conference ON message_groups (conference, group_id) "
    "WHERE conference IS NOT NULL"
)

VERSION_8 = (
    _CREATE_MESSAGE_GROUPS,
    _INDEX_MESSAGE_GROUPS_GROUP,
    _INDEX_MESSAGE_GROUPS_CONFERENCE,
    *_append_only("message_groups"),
)
"""Messages to several parties: which per-line copies carry one payload (append-only)."""

_CREATE_CHANNELS = """
CREATE TABLE channels (
    name       TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1)
)"""

_CHANNELS_NO_DELETE = """
CREATE TRIGGER channels_no_delete
BEFORE DELETE ON channels
BEGIN
    SELECT RAISE(ABORT, 'channels are never deleted');
END"""

_CHANNELS_VERSION_RISES = """
CREATE TRIGGER channels_version_rises
BEFORE UPDATE ON channels
WHEN NEW.name IS NOT OLD.name OR NEW.created_at IS NOT OLD.created_at
    OR NEW.created_by IS NOT OLD.created_by OR NEW.version <= OLD.version
BEGIN
    SELECT RAISE(ABORT, 'a channel only changes by a higher version');
END"""

_CREATE_CHANNEL_MEMBERS = """
CREATE TABLE channel_members (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT NOT NULL REFERENCES channels (name),
    user       TEXT NOT NULL REFERENCES users (name),
    role       TEXT NOT NULL,
    added_at   TEXT NOT NULL,
    added_by   TEXT NOT NULL,
    removed_at TEXT,
    removed_by TEXT,
    CHECK ((removed_at IS NULL) = (removed_by IS NULL))
)"""

_INDEX_CHANNEL_MEMBERS_OPEN = (
    "CREATE UNIQUE INDEX channel_members_open ON channel_members (channel, user) "
    "WHERE removed_at IS NULL"
)

_CHANNEL_MEMBERS_NO_DELETE = """
CREATE TRIGGER channel_members_no_delete
BEFORE DELETE ON channel_members
BEGIN
    SELECT RAISE(ABORT, 'membership history is never deleted');
END"""

_CHANNEL_MEMBERS_CLOSE_ONCE = """
CREATE TRIGGER channel_members_close_once
BEFORE UPDATE ON channel_members
WHEN OLD.removed_at IS NOT NULL
    OR NEW.id IS NOT OLD.id OR NEW.channel IS NOT OLD.channel OR NEW.user IS NOT OLD.user
    OR NEW.role IS NOT OLD.role OR NEW.added_at IS NOT OLD.added_at
    OR NEW.added_by IS NOT OLD.added_by
BEGIN
    SELECT RAISE(ABORT, 'a membership is only ever closed, once');
END"""

_CREATE_PEER_CHANNELS = """
CREATE TABLE peer_channels (
    peer        TEXT NOT NULL REFERENCES peers (party),
    channel     TEXT NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    members     TEXT NOT NULL,  -- JSON array of [name, role]
    received_at TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    PRIMARY KEY (peer, channel, version)
)"""

CHANNELS = (
    _CREATE_CHANNELS,
    _CHANNELS_NO_DELETE,
    _CHANNELS_VERSION_RISES,
    _CREATE_CHANNEL_MEMBERS,
    _INDEX_CHANNEL_MEMBERS_OPEN,
    _CHANNEL_MEMBERS_NO_DELETE,
    _CHANNEL_MEMBERS_CLOSE_ONCE,
    _CREATE_PEER_CHANNELS,
    *_append_only("peer_channels"),
)
"""Channels with their own people: members with history, and each peer's announced members."""

_CREATE_CONFERENCES = """
CREATE TABLE conferences (
    id         TEXT PRIMARY KEY CHECK (id <> ''),
    name       TEXT NOT NULL CHECK (name <> ''),
    convener   TEXT NOT NULL CHECK (convener <> ''),
    role       TEXT NOT NULL CHECK (role IN ('convener', 'member')),
    created_at TEXT NOT NULL
)"""

_CREATE_CONFERENCE_ROSTERS = """
CREATE TABLE conference_rosters (
    conference TEXT NOT NULL REFERENCES conferences (id),
    version    INTEGER NOT NULL CHECK (version >= 1),
    roster     BLOB NOT NULL,
    group_id   TEXT NOT NULL,
    direction  TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
    at         TEXT NOT NULL,
    PRIMARY KEY (conference, version)
)"""

_CREATE_CONFERENCE_ANSWERS = """
CREATE TABLE conference_answers (
    conference TEXT NOT NULL,
    version    INTEGER NOT NULL,
    party      TEXT NOT NULL CHECK (party <> ''),
    answer     TEXT NOT NULL CHECK (answer IN ('invited', 'joined', 'refused')),
    missing    TEXT NOT NULL,  -- a JSON list of party names
    at         TEXT NOT NULL,
    message_id TEXT,
    FOREIGN KEY (conference, version) REFERENCES conference_rosters (conference, version)
)"""

_INDEX_CONFERENCE_ANSWERS = (
    "CREATE INDEX conference_answers_conference ON conference_answers (conference)"
)


def _conference_append_only(table: str) -> tuple[str, str]:
    return (
        f"CREATE TRIGGER {table}_no_update\nBEFORE UPDATE ON {table}\nBEGIN\n"
        f"    SELECT RAISE(ABORT, 'conferences are append-only');\nEND",
        f"CREATE TRIGGER {table}_no_delete\nBEFORE DELETE ON {table}\nBEGIN\n"
        f"    SELECT RAISE(ABORT, 'conferences are append-only');\nEND",
    )


CONFERENCES = (
    _CREATE_CONFERENCES,
    _CREATE_CONFERENCE_ROSTERS,
    _CREATE_CONFERENCE_ANSWERS,
    _INDEX_CONFERENCE_ANSWERS,
    *_conference_append_only("conferences"),
    *_conference_append_only("conference_rosters"),
    *_conference_append_only("conference_answers"),
)
"""Conferences: each one, its roster versions and the members' answers (append-only)."""
_CREATE_RELEASES = """
CREATE TABLE releases (
    message_id  TEXT PRIMARY KEY REFERENCES messages (id),
    released_by TEXT NOT NULL CHECK (length(released_by) > 0),
    released_at TEXT NOT NULL CHECK (length(released_at) > 0),
    public_text TEXT,
    release_id  TEXT NOT NULL UNIQUE REFERENCES messages (id)
)"""

RELEASES = (_CREATE_RELEASES, *_append_only("releases"))
"""Releases of marked messages: which message was made public, by whom, when (append-only)."""


_CREATE_CHANNEL_ANNOUNCEMENTS = """
CREATE TABLE channel_announcements (
    peer       TEXT NOT NULL REFERENCES peers (party),
    channel    TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    message_id TEXT NOT NULL REFERENCES messages (id),
    PRIMARY KEY (peer, channel, version)
)"""

CHANNEL_ANNOUNCEMENTS = (_CREATE_CHANNEL_ANNOUNCEMENTS, *_append_only("channel_announcements"))
"""Which version of each channel was announced to which peer, by which message (append-only)."""
_CREATE_STATEMENT_DRAFTS = """
CREATE TABLE statement_drafts (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE CHECK (length(id) = 64),
    statement  TEXT NOT NULL CHECK (length(statement) = 64),
    payload    BLOB NOT NULL,
    previous   TEXT UNIQUE REFERENCES statement_drafts (id),  -- each draft revised once
    drafter    TEXT NOT NULL CHECK (length(drafter) > 0),
    drafted_at TEXT NOT NULL
)"""

_CREATE_STATEMENT_SIGNATURES = """
CREATE TABLE statement_signatures (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    draft       TEXT NOT NULL REFERENCES statement_drafts (id),
    party       TEXT NOT NULL CHECK (length(party) > 0),
    person      TEXT NOT NULL CHECK (length(person) > 0),
    person_key  BLOB NOT NULL,
    person_sig  BLOB NOT NULL,
    endorsement BLOB NOT NULL,
    signed_at   TEXT NOT NULL,
    UNIQUE (draft, party, person_key)
)"""

_CREATE_STATEMENT_OUTCOMES = """
CREATE TABLE statement_outcomes (
    statement TEXT PRIMARY KEY REFERENCES statement_drafts (id),
    outcome   TEXT NOT NULL CHECK (outcome IN ('in-force', 'withdrawn', 'expired')),
    draft     TEXT NOT NULL REFERENCES statement_drafts (id),
    actor     TEXT NOT NULL CHECK (length(actor) > 0),
    at        TEXT NOT NULL
)"""

STATEMENTS = (
    _CREATE_STATEMENT_DRAFTS,
    "CREATE INDEX statement_drafts_statement ON statement_drafts (statement, seq)",
    _CREATE_STATEMENT_SIGNATURES,
    _CREATE_STATEMENT_OUTCOMES,
    *_append_only("statement_drafts"),
    *_append_only("statement_signatures"),
    *_append_only("statement_outcomes"),
)
"""Joint statements: drafts, signatures and outcomes (append-only)."""
FENCING = (
    """
CREATE TABLE fencing (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    epoch     INTEGER NOT NULL CHECK (epoch >= 0),
    holder    TEXT,
    taken_at  TEXT
)""",
    "INSERT INTO fencing (singleton, epoch) VALUES (1, 0)",
)
"""The fencing epoch of active/standby terminals: PostgreSQL's; SQLite keeps the table for parity.

A SQLite file has one writer process (the directory lock), so its epoch stays 0.
"""
_CREATE_PEER_CONFIRMATIONS = """
CREATE TABLE peer_confirmations (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    party        TEXT NOT NULL REFERENCES peers (party),
    fingerprint  TEXT NOT NULL CHECK (length(fingerprint) > 0),
    method       TEXT NOT NULL CHECK (method IN ('phone', 'in-person', 'video')),
    confirmed_by TEXT NOT NULL CHECK (length(confirmed_by) > 0),
    confirmed_at TEXT NOT NULL CHECK (length(confirmed_at) > 0),
    signature    BLOB NOT NULL CHECK (length(signature) = 64)
)"""

_CREATE_PEER_REMOVALS = """
CREATE TABLE peer_removals (
    party       TEXT PRIMARY KEY REFERENCES peers (party),
    fingerprint TEXT NOT NULL CHECK (length(fingerprint) > 0),
    removed_at  TEXT NOT NULL CHECK (length(removed_at) > 0)
)"""

PEER_CONFIRMATIONS = (
    _CREATE_PEER_CONFIRMATIONS,
    "CREATE INDEX peer_confirmations_party ON peer_confirmations (party, seq)",
    *_append_only("peer_confirmations"),
    _CREATE_PEER_REMOVALS,
)
"""Out-of-band fingerprint checks (signed, append-only) and removed peers (a row while removed)."""

_CREATE_CHAIN_ADOPTIONS = """
CREATE TABLE chain_adoptions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    peer          TEXT NOT NULL REFERENCES peers (party),
    held_before   INTEGER NOT NULL CHECK (held_before >= 0),
    serial        INTEGER NOT NULL CHECK (serial > held_before),
    envelope_hash BLOB NOT NULL CHECK (length(envelope_hash) = 32),
    adopted_at    TEXT NOT NULL CHECK (length(adopted_at) > 0)
)"""

# The outgoing serials of a peer continue after an adopted position (a terminal
# restored from an older backup takes up its chain where the peer holds it):
# the next serial is one past the higher of the last stored and the last adopted.
_MESSAGES_SERIAL_AFTER_ADOPTION = """
CREATE TRIGGER messages_serial_in_order
BEFORE INSERT ON messages
WHEN NEW.serial IS NOT max(
    (SELECT coalesce(max(serial), 0) FROM messages
     WHERE peer = NEW.peer AND direction = NEW.direction),
    (SELECT coalesce(max(serial), 0) FROM chain_adoptions
     WHERE peer = NEW.peer AND NEW.direction = 'out')
) + 1
BEGIN
    SELECT RAISE(ABORT, 'message serials run 1, 2, 3... per peer and direction');
END"""

CHAIN_ADOPTIONS = (
    _CREATE_CHAIN_ADOPTIONS,
    "CREATE INDEX chain_adoptions_peer ON chain_adoptions (peer, serial)",
    *_append_only("chain_adoptions"),
    "DROP TRIGGER messages_serial_in_order",
    _MESSAGES_SERIAL_AFTER_ADOPTION,
)
"""Outgoing chain positions adopted from a peer (append-only); serials continue after them."""

_CREATE_PEER_KEY_CERTIFICATES = """
CREATE TABLE peer_key_certificates (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    party       TEXT NOT NULL REFERENCES peers (party),
    key_id      TEXT NOT NULL CHECK (length(key_id) > 0),
    kind        TEXT NOT NULL CHECK (kind IN ('signing', 'encryption', 'tls')),
    serial      INTEGER NOT NULL CHECK (serial > 0),
    certificate BLOB NOT NULL CHECK (length(certificate) > 0),
    received_at TEXT NOT NULL CHECK (length(received_at) > 0),
    UNIQUE (party, key_id)
)"""

PEER_KEYS = (
    _CREATE_PEER_KEY_CERTIFICATES,
    *_append_only("peer_key_certificates"),
)

_CREATE_PEER_MASTER_CHANGES = """
CREATE TABLE peer_master_changes (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    party           TEXT NOT NULL REFERENCES peers (party),
    old_master      BLOB NOT NULL CHECK (length(old_master) = 32),
    new_master      BLOB NOT NULL CHECK (length(new_master) = 32 AND new_master <> old_master),
    transition      BLOB NOT NULL CHECK (length(transition) > 0),
    card_json       TEXT NOT NULL CHECK (length(card_json) > 0),
    old_certificate BLOB NOT NULL CHECK (length(old_certificate) > 0),
    received_at     TEXT NOT NULL CHECK (length(received_at) > 0),
    confirmed_at    TEXT CHECK (confirmed_at IS NULL OR length(confirmed_at) > 0),
    UNIQUE (party, new_master)
)"""

PEER_MASTERS = (
    _CREATE_PEER_MASTER_CHANGES,
    # One pending change per party.
    "CREATE UNIQUE INDEX peer_master_changes_pending ON peer_master_changes (party) "
    "WHERE confirmed_at IS NULL",
    """
CREATE TRIGGER peer_master_changes_fixed
BEFORE UPDATE OF seq, party, old_master, new_master, transition, card_json, old_certificate,
    received_at ON peer_master_changes
BEGIN
    SELECT RAISE(ABORT, 'a peer master change is only ever confirmed');
END""",
    """
CREATE TRIGGER peer_master_changes_confirmed_once
BEFORE UPDATE OF confirmed_at ON peer_master_changes
WHEN OLD.confirmed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a peer master change is only ever confirmed');
END""",
    """
CREATE TRIGGER peer_master_changes_no_delete
BEFORE DELETE ON peer_master_changes
BEGIN
    SELECT RAISE(ABORT, 'the record is append-only');
END""",
)
"""Peers' master changes: pending until a recorded fingerprint check confirms them."""
"""Peers' operational key certificates, as their key events announced them (append-only)."""

_CREATE_PEER_KEY_REVOCATIONS = """
CREATE TABLE peer_key_revocations (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    party             TEXT NOT NULL REFERENCES peers (party),
    key_id            TEXT NOT NULL CHECK (length(key_id) > 0),
    kind              TEXT NOT NULL CHECK (kind IN ('signing', 'encryption', 'tls')),
    public_key        BLOB NOT NULL CHECK (length(public_key) = 32),
    compromised_since INTEGER NOT NULL CHECK (compromised_since >= 0),
    revocation        BLOB NOT NULL CHECK (length(revocation) > 0),
    received_at       TEXT NOT NULL CHECK (length(received_at) > 0),
    UNIQUE (party, key_id)
)"""

PEER_KEY_REVOCATIONS = (
    _CREATE_PEER_KEY_REVOCATIONS,
    *_append_only("peer_key_revocations"),
)
"""Peers' revoked operational keys, as their key events announced them (append-only)."""
_CREATE_PEER_ENCRYPTION_KEYS = """
CREATE TABLE peer_encryption_keys (
    party  TEXT NOT NULL REFERENCES peers (party),
    serial INTEGER NOT NULL CHECK (serial > 0),
    key    BLOB NOT NULL CHECK (length(key) = 32),
    set_at TEXT NOT NULL CHECK (length(set_at) > 0),
    PRIMARY KEY (party, serial)
)"""

_PEER_ENCRYPTION_KEY_SWITCHED = """
CREATE TRIGGER peers_encryption_key_switched
BEFORE UPDATE OF encryption_key ON peers
WHEN NEW.encryption_key IS NOT (
    SELECT key FROM peer_encryption_keys WHERE party = NEW.party ORDER BY serial DESC LIMIT 1
)
BEGIN
    SELECT RAISE(ABORT, 'a peer''s encryption key changes only to its newest recorded switch');
END"""

PEER_ENCRYPTION_KEYS = (
    _CREATE_PEER_ENCRYPTION_KEYS,
    *_append_only("peer_encryption_keys"),
    # The encryption key leaves the immutable columns, for its recorded switches only.
    "DROP TRIGGER peers_keys_immutable",
    """
CREATE TRIGGER peers_keys_immutable
BEFORE UPDATE OF party, signing_key, added_at ON peers
BEGIN
    SELECT RAISE(ABORT, 'a peer''s name, keys and added_at never change');
END""",
    _PEER_ENCRYPTION_KEY_SWITCHED,
)
"""Peers' encryption keys switched to by their key events (append-only; the newest is in force)."""

KEY_FILES = (
    """
CREATE TABLE key_files (
    path         TEXT PRIMARY KEY CHECK (length(path) > 0),
    content      BLOB NOT NULL,
    generation   INTEGER NOT NULL CHECK (generation > 0),
    published_at TEXT NOT NULL CHECK (length(published_at) > 0)
)""",
)
"""This terminal's sealed key files, published for its standby (replaced as a whole)."""

STATEMENT_ENDORSERS = (
    "ALTER TABLE statement_signatures ADD COLUMN sk BLOB CHECK (sk IS NULL OR length(sk) = 32)",
)
"""The signing key that endorsed a statement signature, when not the party's address (its "sk")."""
