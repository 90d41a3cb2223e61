"""The PostgreSQL statements of each schema migration, by version (see :mod:`hotline.store.schema`).

Each ``VERSION_n`` builds the same tables as SQLite's ``VERSION_n`` and enforces
the same rules, so a version number means the same database whatever holds it.
Released statements are never edited; a new migration adds a tuple here.

What differs from SQLite, and why:

* **Types.** ``BYTEA`` for blobs, ``BIGINT`` for serials, sequence numbers,
  tree sizes and timestamps (the records allow up to 2^63 - 1), ``BOOLEAN``
  for ``users.disabled``. Text columns are ``COLLATE "C"``: ordering then
  compares bytes, as SQLite's ``BINARY`` collation does, whatever locale the
  cluster was created with.
* **Message text is BYTEA (UTF-8).** A message's id, channel, precedence, kind
  and text arrive from peers and may hold U+0000, which PostgreSQL's ``TEXT``
  cannot store; refusing them would let one peer stall the line. The store
  encodes and decodes them; ``convert_from(text, 'UTF8')`` reads them in psql.
  Tables that name a message (``acknowledgements``, ``message_groups``,
  ``peer_channels``, ``conference_answers``, ``releases``) use the same type,
  as does a release's ``public_text``.
* **Reserved words.** ``channel_members.user`` is written ``"user"``.
* **Triggers** are PL/pgSQL functions. Every refusal is raised with SQLSTATE
  23000 (integrity_constraint_violation), as SQLite's ``RAISE(ABORT)`` is an
  integrity error, so the store explains a refusal the same way on both.
  Append-only tables also refuse ``TRUNCATE``, which SQLite does not have.
* **Ordering columns.** SQLite's ``AUTOINCREMENT`` and ``rowid`` become identity
  columns (only their order matters; ``seq`` where SQLite reads ``rowid``), except ``record_conflicts.id``, which the
  store hands out as 1, 2, 3… (an identity would leave gaps after a rollback).
"""

from __future__ import annotations

__all__ = [
    "CHANNEL_ANNOUNCEMENTS",
    "FENCING",
    "PEER_CONFIRMATIONS",
    "PEER_KEY_REVOCATIONS",
    "STATEMENTS",
    "VERSION_1",
    "VERSION_10",
    "VERSION_11",
    "VERSION_2",
    "VERSION_3",
    "VERSION_4",
    "VERSION_5",
    "VERSION_6",
    "VERSION_7",
    "VERSION_8",
    "VERSION_9",
]

_T = 'TEXT COLLATE "C"'

# One function raises every unconditional refusal; its message is the trigger's argument.
_REFUSE = """
CREATE FUNCTION hotline_refuse() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation', MESSAGE = TG_ARGV[0];
END
$fn$"""


def _refuse(name: str, when: str, table: str, message: str, *, condition: str = "") -> str:
    """A row trigger that refuses ``when`` (e.g. ``BEFORE DELETE``) on ``table``."""
    guard = f"\nWHEN ({condition})" if condition else ""
    quoted = message.replace("'", "''")
    return (
        f"CREATE TRIGGER {name}\n{when} ON {table}\nFOR EACH ROW{guard}\n"
        f"EXECUTE FUNCTION hotline_refuse('{quoted}')"
    )


def _no_truncate(table: str, message: str) -> str:
    quoted = message.replace("'", "''")
    return (
        f"CREATE TRIGGER {table}_no_truncate\nBEFORE TRUNCATE ON {table}\nFOR EACH STATEMENT\n"
        f"EXECUTE FUNCTION hotline_refuse('{quoted}')"
    )


def _checked_insert(name: str, table: str, condition: str, message: str) -> tuple[str, str]:
    """A BEFORE INSERT trigger whose refusal needs a query (a WHEN clause cannot hold one)."""
    quoted = message.replace("'", "''")
    function = (
        f"CREATE FUNCTION hotline_{name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        f"BEGIN\n    IF {condition} THEN\n"
        f"        RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
        f"            MESSAGE = '{quoted}';\n    END IF;\n    RETURN NEW;\nEND\n$fn$"
    )
    trigger = (
        f"CREATE TRIGGER {name}\nBEFORE INSERT ON {table}\nFOR EACH ROW\n"
        f"EXECUTE FUNCTION hotline_{name}()"
    )
    return function, trigger


_CREATE_PARTY = f"""
CREATE TABLE party (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    party          {_T} NOT NULL,
    signing_key    BYTEA NOT NULL,
    encryption_key BYTEA NOT NULL,
    routes         {_T} NOT NULL,  -- JSON array of str
    timezone       {_T} NOT NULL,
    created_at     {_T} NOT NULL
)"""

_CREATE_PEERS = f"""
CREATE TABLE peers (
    party          {_T} PRIMARY KEY,
    signing_key    BYTEA NOT NULL UNIQUE,
    encryption_key BYTEA NOT NULL,
    routes         {_T} NOT NULL,  -- JSON array of str
    timezone       {_T} NOT NULL,
    certificate    BYTEA NOT NULL,
    card_json      {_T} NOT NULL,
    fingerprint    {_T} NOT NULL,
    added_at       {_T} NOT NULL,
    last_contact   {_T}
)"""

_PEER_KEYS_IMMUTABLE = _refuse(
    "peers_keys_immutable",
    "BEFORE UPDATE OF party, signing_key, encryption_key, added_at",
    "peers",
    "a peer's name, keys and added_at never change",
)

_CREATE_MESSAGES = f"""
CREATE TABLE messages (
    id             BYTEA PRIMARY KEY,  -- UTF-8: ids, like text, may hold U+0000
    direction      {_T} NOT NULL CHECK (direction IN ('out', 'in')),
    peer           {_T} NOT NULL REFERENCES peers (party),
    channel        BYTEA NOT NULL,
    serial         BIGINT NOT NULL CHECK (serial >= 1),
    time_group     {_T} NOT NULL,
    sent_at        {_T} NOT NULL,
    precedence     BYTEA NOT NULL,
    kind           BYTEA NOT NULL,
    text           BYTEA NOT NULL,
    body           BYTEA NOT NULL,
    envelope       BYTEA NOT NULL,
    envelope_hash  BYTEA NOT NULL CHECK (length(envelope_hash) = 32),
    state          {_T} NOT NULL CHECK (state IN ('queued', 'sent', 'delivered')),
    created_at     {_T} NOT NULL,
    transmitted_at {_T},
    delivered_at   {_T},
    receipt        BYTEA,
    UNIQUE (peer, direction, serial)
)"""

_INDEX_MESSAGES_CREATED = "CREATE INDEX messages_created ON messages (created_at, serial)"
_INDEX_MESSAGES_PEER_CREATED = (
    "CREATE INDEX messages_peer_created ON messages (peer, created_at, serial)"
)
# The outbox: only unreceipted outgoing rows, which stay few however long the history.
_INDEX_MESSAGES_PENDING = """
CREATE INDEX messages_pending ON messages (peer, serial)
WHERE direction = 'out' AND receipt IS NULL"""

_MESSAGES_SERIAL_IN_ORDER = _checked_insert(
    "messages_serial_in_order",
    "messages",
    "NEW.serial IS DISTINCT FROM (SELECT coalesce(max(serial), 0) + 1 FROM messages "
    "WHERE peer = NEW.peer AND direction = NEW.direction)",
    "message serials run 1, 2, 3... per peer and direction",
)

_MESSAGES_CONTENT_IMMUTABLE = _refuse(
    "messages_content_immutable",
    "BEFORE UPDATE OF id, direction, peer, channel, serial, time_group, sent_at, precedence, "
    "kind, text, body, envelope, envelope_hash, created_at",
    "messages",
    "a stored message's envelope, serial and content never change",
)

_MESSAGES_RECEIPT_ONCE = _refuse(
    "messages_receipt_once",
    "BEFORE UPDATE OF receipt, delivered_at",
    "messages",
    "a stored receipt never changes",
    condition="OLD.receipt IS NOT NULL",
)

_MESSAGES_NO_DELETE = _refuse(
    "messages_no_delete", "BEFORE DELETE", "messages", "messages are never deleted"
)

_CREATE_JOURNAL = f"""
CREATE TABLE journal (
    seq       BIGINT PRIMARY KEY CHECK (seq >= 1),
    at        {_T} NOT NULL,
    kind      {_T} NOT NULL,
    data      {_T} NOT NULL,  -- JSON object, as text: the bytes that were hashed, unchanged
    prev_hash BYTEA NOT NULL CHECK (length(prev_hash) = 32),
    hash      BYTEA NOT NULL CHECK (length(hash) = 32)
)"""

_JOURNAL_APPEND_AT_HEAD = _checked_insert(
    "journal_append_at_head",
    "journal",
    "NEW.seq IS DISTINCT FROM (SELECT coalesce(max(seq), 0) + 1 FROM journal) "
    "OR NEW.prev_hash IS DISTINCT FROM coalesce("
    "(SELECT hash FROM journal ORDER BY seq DESC LIMIT 1), decode(repeat('00', 32), 'hex'))",
    "journal entries are appended at the head, chained to it",
)


def _append_only(table: str, message: str) -> tuple[str, str, str]:
    return (
        _refuse(f"{table}_no_update", "BEFORE UPDATE", table, message),
        _refuse(f"{table}_no_delete", "BEFORE DELETE", table, message),
        _no_truncate(table, message),
    )


_CREATE_ALARMS = f"""
CREATE TABLE alarms (
    id         {_T} PRIMARY KEY,
    kind       {_T} NOT NULL,
    peer       {_T} NOT NULL,
    route      {_T},
    since      {_T} NOT NULL,
    detail     {_T} NOT NULL,
    cleared_at {_T},
    cleared_by {_T},
    CHECK ((cleared_at IS NULL) = (cleared_by IS NULL))
)"""

_INDEX_ALARMS_OPEN = "CREATE INDEX alarms_open ON alarms (since) WHERE cleared_at IS NULL"

_ALARMS_CLEARED_ONCE = _refuse(
    "alarms_cleared_once",
    "BEFORE UPDATE",
    "alarms",
    "an alarm is only ever cleared, once",
    condition="OLD.cleared_at IS NOT NULL OR NEW.id IS DISTINCT FROM OLD.id "
    "OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.peer IS DISTINCT FROM OLD.peer "
    "OR NEW.route IS DISTINCT FROM OLD.route OR NEW.since IS DISTINCT FROM OLD.since "
    "OR NEW.detail IS DISTINCT FROM OLD.detail",
)

_ALARMS_NO_DELETE = _refuse(
    "alarms_no_delete", "BEFORE DELETE", "alarms", "alarms are never deleted"
)

_CREATE_USERS = f"""
CREATE TABLE users (
    name          {_T} PRIMARY KEY,
    role          {_T} NOT NULL,
    password_hash {_T} NOT NULL,
    language      {_T} NOT NULL,
    signing_key   BYTEA NOT NULL,
    wrapped_key   BYTEA NOT NULL,
    key_salt      BYTEA NOT NULL,
    created_at    {_T} NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT false
)"""

_CREATE_ACKS = f"""
CREATE TABLE acknowledgements (
    message_id         BYTEA PRIMARY KEY,  -- UTF-8, as messages.id
    direction          {_T} NOT NULL CHECK (direction IN ('given', 'received')),
    by_name            {_T} NOT NULL,
    at                 {_T} NOT NULL,
    ack_id             {_T} NOT NULL,
    operator_key       BYTEA NOT NULL,
    operator_signature BYTEA NOT NULL
)"""

_CREATE_SHIFT_NOTES = f"""
CREATE TABLE shift_notes (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         {_T} NOT NULL UNIQUE,
    author     {_T} NOT NULL,
    text       {_T} NOT NULL,
    at         {_T} NOT NULL,
    author_key BYTEA NOT NULL,
    signature  BYTEA NOT NULL
)"""

_CREATE_MEETINGS = f"""
CREATE TABLE meetings (
    proposal_id {_T} PRIMARY KEY,
    peer        {_T} NOT NULL,
    state       {_T} NOT NULL,
    data        {_T} NOT NULL,
    updated_at  {_T} NOT NULL,
    last_reply  {_T}
)"""

_CREATE_CALLS = f"""
CREATE TABLE calls (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               {_T} NOT NULL UNIQUE,
    peer             {_T} NOT NULL,
    direction        {_T} NOT NULL CHECK (direction IN ('out', 'in')),
    channel          {_T} NOT NULL,
    kind             {_T} NOT NULL CHECK (kind IN ('video', 'audio')),
    state            {_T} NOT NULL,
    requested_at     {_T} NOT NULL,
    our_fingerprint  {_T},
    peer_fingerprint {_T},
    answered_at      {_T},
    ended_at         {_T},
    outcome          {_T},
    reason           {_T},
    placed_by        {_T},
    answered_by      {_T},
    ended_by         {_T}
)"""

_CREATE_PRESENCE = f"""
CREATE TABLE presence_requests (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           {_T} NOT NULL UNIQUE,
    peer         {_T} NOT NULL,
    direction    {_T} NOT NULL CHECK (direction IN ('out', 'in')),
    channel      {_T} NOT NULL,
    note         {_T} NOT NULL,
    requested_at {_T} NOT NULL,
    requested_by {_T} NOT NULL,
    answered_at  {_T},
    answered_by  {_T}
)"""

VERSION_1 = (
    _REFUSE,
    _CREATE_PARTY,
    _CREATE_PEERS,
    _PEER_KEYS_IMMUTABLE,
    _CREATE_MESSAGES,
    _INDEX_MESSAGES_CREATED,
    _INDEX_MESSAGES_PEER_CREATED,
    _INDEX_MESSAGES_PENDING,
    *_MESSAGES_SERIAL_IN_ORDER,
    _MESSAGES_CONTENT_IMMUTABLE,
    _MESSAGES_RECEIPT_ONCE,
    _MESSAGES_NO_DELETE,
    _no_truncate("messages", "messages are never deleted"),
    _CREATE_JOURNAL,
    *_append_only("journal", "the journal is append-only"),
    *_JOURNAL_APPEND_AT_HEAD,
)
"""Party, peers, messages and journal, with their integrity triggers."""

VERSION_2 = (
    _CREATE_ALARMS,
    _INDEX_ALARMS_OPEN,
    _ALARMS_CLEARED_ONCE,
    _ALARMS_NO_DELETE,
    _no_truncate("alarms", "alarms are never deleted"),
)
"""Alarms about the line."""

VERSION_3 = (
    _CREATE_USERS,
    _CREATE_ACKS,
    _refuse(
        "acknowledgements_immutable",
        "BEFORE UPDATE",
        "acknowledgements",
        "an acknowledgement is never changed",
    ),
    _refuse(
        "acknowledgements_no_delete",
        "BEFORE DELETE",
        "acknowledgements",
        "an acknowledgement is never deleted",
    ),
    _no_truncate("acknowledgements", "an acknowledgement is never deleted"),
    _CREATE_SHIFT_NOTES,
    *_append_only("shift_notes", "shift notes are append-only"),
    'ALTER TABLE alarms ADD COLUMN acknowledged_at TEXT COLLATE "C"',
    'ALTER TABLE alarms ADD COLUMN acknowledged_by TEXT COLLATE "C"',
)
"""Console accounts, acknowledgements, shift notes; alarms can be acknowledged."""

VERSION_4 = (_CREATE_MEETINGS,)
"""Meeting proposals."""

VERSION_5 = (
    _CREATE_CALLS,
    _refuse(
        "calls_ended_final",
        "BEFORE UPDATE",
        "calls",
        "the record of an ended call is never changed",
        condition="OLD.outcome IS NOT NULL",
    ),
    _refuse("calls_no_delete", "BEFORE DELETE", "calls", "a call record is never deleted"),
    _no_truncate("calls", "a call record is never deleted"),
    "CREATE INDEX calls_live ON calls (seq) WHERE outcome IS NULL",
    _CREATE_PRESENCE,
    _refuse(
        "presence_answered_once",
        "BEFORE UPDATE",
        "presence_requests",
        "a presence request is answered once",
        condition="OLD.answered_at IS NOT NULL",
    ),
    _refuse(
        "presence_no_delete",
        "BEFORE DELETE",
        "presence_requests",
        "a presence request is never deleted",
    ),
    _no_truncate("presence_requests", "a presence request is never deleted"),
)
"""Call records and presence requests."""

_RECORD = "the record is append-only"

_CREATE_RECORD_CONFLICTS = f"""
CREATE TABLE record_conflicts (
    id          BIGINT PRIMARY KEY CHECK (id >= 1),  -- 1, 2, 3... given by the store
    log         {_T} NOT NULL,
    peer        {_T} NOT NULL,
    kind        {_T} NOT NULL
                CHECK (kind IN ('fork', 'rollback', 'bad-proof', 'bad-signature')),
    detected_at {_T} NOT NULL,
    known       BYTEA NOT NULL,
    offered     BYTEA NOT NULL,
    proof       BYTEA NOT NULL CHECK (length(proof) % 32 = 0),  -- the hashes, concatenated
    detail      {_T} NOT NULL
)"""

VERSION_6 = (
    "CREATE TABLE record_tree (size BIGINT PRIMARY KEY CHECK (size >= 1))",
    *_checked_insert(
        "record_tree_grows",
        "record_tree",
        "NEW.size <= (SELECT coalesce(max(size), 0) FROM record_tree)",
        "the record tree only grows",
    ),
    *_append_only("record_tree", _RECORD),
    """
CREATE TABLE record_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    hash  BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
)""",
    *_append_only("record_nodes", _RECORD),
    f"""
CREATE TABLE record_checkpoints (
    size      BIGINT PRIMARY KEY CHECK (size >= 0),
    root      BYTEA NOT NULL CHECK (length(root) = 32),
    note      BYTEA NOT NULL,
    issued_at {_T} NOT NULL
)""",
    *_checked_insert(
        "record_checkpoints_grow",
        "record_checkpoints",
        "NEW.size <= (SELECT max(size) FROM record_checkpoints)",
        "our checkpoints are issued in increasing size",
    ),
    *_append_only("record_checkpoints", _RECORD),
    f"""
CREATE TABLE record_cosignatures (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    peer        {_T} NOT NULL,
    size        BIGINT NOT NULL CHECK (size >= 0),
    root        BYTEA NOT NULL CHECK (length(root) = 32),
    timestamp   BIGINT NOT NULL CHECK (timestamp >= 0),
    line        {_T} NOT NULL,
    received_at {_T} NOT NULL,
    UNIQUE (peer, line)
)""",
    "CREATE INDEX record_cosignatures_newest ON record_cosignatures (peer, size, timestamp, id)",
    "CREATE INDEX record_cosignatures_size ON record_cosignatures (size, id)",
    *_append_only("record_cosignatures", _RECORD),
    f"""
CREATE TABLE record_witnessed (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    peer        {_T} NOT NULL,
    size        BIGINT NOT NULL CHECK (size >= 0),
    root        BYTEA NOT NULL CHECK (length(root) = 32),
    note        BYTEA NOT NULL,
    cosigned_at {_T} NOT NULL,
    UNIQUE (peer, note)
)""",
    "CREATE INDEX record_witnessed_newest ON record_witnessed (peer, size, id)",
    *_checked_insert(
        "record_witnessed_forward",
        "record_witnessed",
        "EXISTS (SELECT 1 FROM record_witnessed WHERE peer = NEW.peer "
        "AND (size > NEW.size OR (size = NEW.size AND root IS DISTINCT FROM NEW.root)))",
        "a witnessed log never goes back or forks; record a conflict",
    ),
    *_append_only("record_witnessed", _RECORD),
    _CREATE_RECORD_CONFLICTS,
    *_append_only("record_conflicts", _RECORD),
)
"""The record: tree nodes over the journal, our checkpoints, cosignatures, witnessed, conflicts."""

VERSION_7 = (
    f"""
CREATE TABLE chains (
    peer      {_T} NOT NULL REFERENCES peers (party),
    direction {_T} NOT NULL CHECK (direction IN ('out', 'in')),
    epoch     BIGINT NOT NULL CHECK (epoch >= 1),
    idx       BIGINT NOT NULL CHECK (idx >= 0),
    key       BYTEA NOT NULL CHECK (length(key) = 32),
    PRIMARY KEY (peer, direction)
)""",
    f"""
CREATE TABLE peer_protocols (
    peer    {_T} PRIMARY KEY REFERENCES peers (party),
    version INTEGER NOT NULL CHECK (version >= 1)
)""",
)
"""Protocol v2: each direction's message-key chain, and the protocol each peer speaks."""

VERSION_8 = (
    f"""
CREATE TABLE message_groups (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,  -- link order (SQLite's rowid)
    message_id   BYTEA PRIMARY KEY REFERENCES messages (id),
    group_id     {_T} NOT NULL,
    payload_hash BYTEA NOT NULL CHECK (length(payload_hash) = 32),
    conference   {_T}
)""",
    "CREATE INDEX message_groups_group ON message_groups (group_id, seq)",
    "CREATE INDEX message_groups_conference ON message_groups (conference, group_id) "
    "WHERE conference IS NOT NULL",
    *_append_only("message_groups", _RECORD),
)
"""Messages to several parties: which per-line copies carry one payload (append-only)."""

VERSION_9 = (
    f"""
CREATE TABLE channels (
    name       {_T} PRIMARY KEY,
    created_at {_T} NOT NULL,
    created_by {_T} NOT NULL,
    version    BIGINT NOT NULL CHECK (version >= 1)
)""",
    _refuse("channels_no_delete", "BEFORE DELETE", "channels", "channels are never deleted"),
    _no_truncate("channels", "channels are never deleted"),
    _refuse(
        "channels_version_rises",
        "BEFORE UPDATE",
        "channels",
        "a channel only changes by a higher version",
        condition="NEW.name IS DISTINCT FROM OLD.name "
        "OR NEW.created_at IS DISTINCT FROM OLD.created_at "
        "OR NEW.created_by IS DISTINCT FROM OLD.created_by OR NEW.version <= OLD.version",
    ),
    # "user" is a reserved word in PostgreSQL (SQLite takes it bare), so it is quoted.
    f"""
CREATE TABLE channel_members (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- opening order
    channel    {_T} NOT NULL REFERENCES channels (name),
    "user"     {_T} NOT NULL REFERENCES users (name),
    role       {_T} NOT NULL,
    added_at   {_T} NOT NULL,
    added_by   {_T} NOT NULL,
    removed_at {_T},
    removed_by {_T},
    CHECK ((removed_at IS NULL) = (removed_by IS NULL))
)""",
    'CREATE UNIQUE INDEX channel_members_open ON channel_members (channel, "user") '
    "WHERE removed_at IS NULL",
    _refuse(
        "channel_members_no_delete",
        "BEFORE DELETE",
        "channel_members",
        "membership history is never deleted",
    ),
    _no_truncate("channel_members", "membership history is never deleted"),
    _refuse(
        "channel_members_close_once",
        "BEFORE UPDATE",
        "channel_members",
        "a membership is only ever closed, once",
        condition="OLD.removed_at IS NOT NULL "
        "OR NEW.id IS DISTINCT FROM OLD.id OR NEW.channel IS DISTINCT FROM OLD.channel "
        'OR NEW."user" IS DISTINCT FROM OLD."user" OR NEW.role IS DISTINCT FROM OLD.role '
        "OR NEW.added_at IS DISTINCT FROM OLD.added_at "
        "OR NEW.added_by IS DISTINCT FROM OLD.added_by",
    ),
    f"""
CREATE TABLE peer_channels (
    peer        {_T} NOT NULL REFERENCES peers (party),
    channel     {_T} NOT NULL,
    version     BIGINT NOT NULL CHECK (version >= 1),
    members     {_T} NOT NULL,  -- JSON array of [name, role]
    received_at {_T} NOT NULL,
    message_id  BYTEA NOT NULL,  -- UTF-8, as messages.id
    PRIMARY KEY (peer, channel, version)
)""",
    # SQLite's step reuses the record's append-only triggers, message and all.
    *_append_only("peer_channels", _RECORD),
)
"""Channels with their own people: members with history, and each peer's announced members."""

_CONFERENCES = "conferences are append-only"

VERSION_10 = (
    f"""
CREATE TABLE conferences (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,  -- storing order (SQLite's rowid)
    id         {_T} PRIMARY KEY CHECK (id <> ''),
    name       {_T} NOT NULL CHECK (name <> ''),
    convener   {_T} NOT NULL CHECK (convener <> ''),
    role       {_T} NOT NULL CHECK (role IN ('convener', 'member')),
    created_at {_T} NOT NULL
)""",
    f"""
CREATE TABLE conference_rosters (
    conference {_T} NOT NULL REFERENCES conferences (id),
    version    BIGINT NOT NULL CHECK (version >= 1),
    roster     BYTEA NOT NULL,
    group_id   {_T} NOT NULL,
    direction  {_T} NOT NULL CHECK (direction IN ('sent', 'received')),
    at         {_T} NOT NULL,
    PRIMARY KEY (conference, version)
)""",
    f"""
CREATE TABLE conference_answers (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- storing order (SQLite's rowid)
    conference {_T} NOT NULL,
    version    BIGINT NOT NULL,
    party      {_T} NOT NULL CHECK (party <> ''),
    answer     {_T} NOT NULL CHECK (answer IN ('invited', 'joined', 'refused')),
    missing    {_T} NOT NULL,  -- a JSON list of party names
    at         {_T} NOT NULL,
    message_id BYTEA,  -- UTF-8, as messages.id
    FOREIGN KEY (conference, version) REFERENCES conference_rosters (conference, version)
)""",
    "CREATE INDEX conference_answers_conference ON conference_answers (conference, seq)",
    *_append_only("conferences", _CONFERENCES),
    *_append_only("conference_rosters", _CONFERENCES),
    *_append_only("conference_answers", _CONFERENCES),
)
"""Conferences: each one, its roster versions and the members' answers (append-only)."""

VERSION_11 = (
    f"""
CREATE TABLE releases (
    message_id  BYTEA PRIMARY KEY REFERENCES messages (id),  -- UTF-8, as messages.id
    released_by {_T} NOT NULL CHECK (length(released_by) > 0),
    released_at {_T} NOT NULL CHECK (length(released_at) > 0),
    public_text BYTEA,  -- UTF-8, as messages.text: it comes from the peer
    release_id  BYTEA NOT NULL UNIQUE REFERENCES messages (id)
)""",
    # SQLite's step reuses the record's append-only triggers, message and all.
    *_append_only("releases", _RECORD),
)
"""Releases of marked messages: which message was made public, by whom, when (append-only)."""

CHANNEL_ANNOUNCEMENTS = (
    f"""
CREATE TABLE channel_announcements (
    peer       {_T} NOT NULL REFERENCES peers (party),
    channel    {_T} NOT NULL,
    version    BIGINT NOT NULL CHECK (version >= 1),
    message_id BYTEA NOT NULL REFERENCES messages (id),  -- UTF-8, as messages.id
    PRIMARY KEY (peer, channel, version)
)""",
    # SQLite's step reuses the record's append-only triggers, message and all.
    *_append_only("channel_announcements", _RECORD),
)
"""Which version of each channel was announced to which peer, by which message (append-only)."""
_STATEMENTS = "joint statements are append-only"

STATEMENTS = (
    f"""
CREATE TABLE statement_drafts (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,  -- storing order (SQLite's rowid)
    id         {_T} PRIMARY KEY CHECK (length(id) = 64),
    statement  {_T} NOT NULL CHECK (length(statement) = 64),
    payload    BYTEA NOT NULL,
    previous   {_T} UNIQUE REFERENCES statement_drafts (id),  -- each draft revised once
    drafter    {_T} NOT NULL CHECK (drafter <> ''),
    drafted_at {_T} NOT NULL
)""",
    "CREATE INDEX statement_drafts_statement ON statement_drafts (statement, seq)",
    f"""
CREATE TABLE statement_signatures (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- storing order
    draft       {_T} NOT NULL REFERENCES statement_drafts (id),
    party       {_T} NOT NULL CHECK (party <> ''),
    person      {_T} NOT NULL CHECK (person <> ''),
    person_key  BYTEA NOT NULL,
    person_sig  BYTEA NOT NULL,
    endorsement BYTEA NOT NULL,
    signed_at   {_T} NOT NULL,
    UNIQUE (draft, party, person_key)
)""",
    f"""
CREATE TABLE statement_outcomes (
    statement {_T} PRIMARY KEY REFERENCES statement_drafts (id),
    outcome   {_T} NOT NULL CHECK (outcome IN ('in-force', 'withdrawn', 'expired')),
    draft     {_T} NOT NULL REFERENCES statement_drafts (id),
    actor     {_T} NOT NULL CHECK (actor <> ''),
    at        {_T} NOT NULL
)""",
    *_append_only("statement_drafts", _STATEMENTS),
    *_append_only("statement_signatures", _STATEMENTS),
    *_append_only("statement_outcomes", _STATEMENTS),
)
"""Joint statements: drafts, signatures and outcomes (append-only)."""
FENCE_SQLSTATE = "HF001"
"""What :data:`FENCING`'s check raises when a write's epoch is not the current one."""

FENCING = (
    f"""
CREATE TABLE fencing (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    epoch     BIGINT NOT NULL CHECK (epoch >= 0),
    holder    {_T},
    taken_at  {_T}
)""",
    "INSERT INTO fencing (singleton, epoch) VALUES (1, 0)",
    _refuse("fencing_no_delete", "BEFORE DELETE", "fencing", "the fencing epoch is never deleted"),
    _refuse(
        "fencing_rises",
        "BEFORE UPDATE",
        "fencing",
        "the fencing epoch only rises",
        condition="NEW.epoch <= OLD.epoch",
    ),
    # Called by every write transaction of a fenced store, in BEGIN's round trip,
    # after the writers' lock: a process whose epoch is no longer the current
    # one (another took over) writes nothing.
    f"""
CREATE FUNCTION hotline_fenced(expected BIGINT) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    current_epoch BIGINT;
BEGIN
    SELECT epoch INTO current_epoch FROM fencing;
    IF current_epoch IS DISTINCT FROM expected THEN
        RAISE EXCEPTION USING ERRCODE = '{FENCE_SQLSTATE}',
            MESSAGE = format('fenced out: this process holds epoch %s, the store is at %s',
                             expected, current_epoch);
    END IF;
END
$fn$""",  # noqa: S608
)
"""The fencing epoch of active/standby terminals, and the check every fenced write runs."""
PEER_CONFIRMATIONS = (
    f"""
CREATE TABLE peer_confirmations (
    seq          BIGSERIAL PRIMARY KEY,
    party        {_T} NOT NULL REFERENCES peers (party),
    fingerprint  {_T} NOT NULL CHECK (length(fingerprint) > 0),
    method       {_T} NOT NULL CHECK (method IN ('phone', 'in-person', 'video')),
    confirmed_by BYTEA NOT NULL CHECK (length(confirmed_by) > 0),  -- UTF-8: a person's name
    confirmed_at {_T} NOT NULL CHECK (length(confirmed_at) > 0),
    signature    BYTEA NOT NULL CHECK (length(signature) = 64)
)""",
    "CREATE INDEX peer_confirmations_party ON peer_confirmations (party, seq)",
    *_append_only("peer_confirmations", _RECORD),
    f"""
CREATE TABLE peer_removals (
    party       {_T} PRIMARY KEY REFERENCES peers (party),
    fingerprint {_T} NOT NULL CHECK (length(fingerprint) > 0),
    removed_at  {_T} NOT NULL CHECK (length(removed_at) > 0)
)""",
)
"""Out-of-band fingerprint checks (signed, append-only) and removed peers (a row while removed)."""

CHAIN_ADOPTIONS = (
    f"""
CREATE TABLE chain_adoptions (
    seq           BIGSERIAL PRIMARY KEY,
    peer          {_T} NOT NULL REFERENCES peers (party),
    held_before   BIGINT NOT NULL CHECK (held_before >= 0),
    serial        BIGINT NOT NULL CHECK (serial > held_before),
    envelope_hash BYTEA NOT NULL CHECK (length(envelope_hash) = 32),
    adopted_at    {_T} NOT NULL CHECK (length(adopted_at) > 0)
)""",
    "CREATE INDEX chain_adoptions_peer ON chain_adoptions (peer, serial)",
    *_append_only("chain_adoptions", _RECORD),
    "DROP TRIGGER messages_serial_in_order ON messages",
    "DROP FUNCTION hotline_messages_serial_in_order()",
    # The outgoing serials of a peer continue after an adopted position (a
    # terminal restored from an older backup takes up its chain where the peer
    # holds it): one past the higher of the last stored and the last adopted.
    *_checked_insert(
        "messages_serial_in_order",
        "messages",
        "NEW.serial IS DISTINCT FROM GREATEST("
        "(SELECT coalesce(max(serial), 0) FROM messages "
        "WHERE peer = NEW.peer AND direction = NEW.direction), "
        "(SELECT coalesce(max(serial), 0) FROM chain_adoptions "
        "WHERE peer = NEW.peer AND NEW.direction = 'out')) + 1",
        "message serials run 1, 2, 3... per peer and direction",
    ),
)
"""Outgoing chain positions adopted from a peer (append-only); serials continue after them."""

PEER_KEYS = (
    f"""
CREATE TABLE peer_key_certificates (
    seq         BIGSERIAL PRIMARY KEY,
    party       {_T} NOT NULL REFERENCES peers (party),
    key_id      {_T} NOT NULL CHECK (length(key_id) > 0),
    kind        {_T} NOT NULL CHECK (kind IN ('signing', 'encryption', 'tls')),
    serial      BIGINT NOT NULL CHECK (serial > 0),
    certificate BYTEA NOT NULL CHECK (length(certificate) > 0),
    received_at {_T} NOT NULL CHECK (length(received_at) > 0),
    UNIQUE (party, key_id)
)""",
    *_append_only("peer_key_certificates", _RECORD),
)

_PEER_MASTER_FIXED = "a peer master change is only ever confirmed"

PEER_MASTERS = (
    f"""
CREATE TABLE peer_master_changes (
    seq             BIGSERIAL PRIMARY KEY,
    party           {_T} NOT NULL REFERENCES peers (party),
    old_master      BYTEA NOT NULL CHECK (length(old_master) = 32),
    new_master      BYTEA NOT NULL CHECK (length(new_master) = 32 AND new_master <> old_master),
    transition      BYTEA NOT NULL CHECK (length(transition) > 0),
    card_json       {_T} NOT NULL CHECK (length(card_json) > 0),
    old_certificate BYTEA NOT NULL CHECK (length(old_certificate) > 0),
    received_at     {_T} NOT NULL CHECK (length(received_at) > 0),
    confirmed_at    {_T} CHECK (confirmed_at IS NULL OR length(confirmed_at) > 0),
    UNIQUE (party, new_master)
)""",
    # One pending change per party.
    "CREATE UNIQUE INDEX peer_master_changes_pending ON peer_master_changes (party) "
    "WHERE confirmed_at IS NULL",
    _refuse(
        "peer_master_changes_fixed",
        "BEFORE UPDATE OF seq, party, old_master, new_master, transition, card_json, "
        "old_certificate, received_at",
        "peer_master_changes",
        _PEER_MASTER_FIXED,
    ),
    _refuse(
        "peer_master_changes_confirmed_once",
        "BEFORE UPDATE OF confirmed_at",
        "peer_master_changes",
        _PEER_MASTER_FIXED,
        condition="OLD.confirmed_at IS NOT NULL",
    ),
    _refuse("peer_master_changes_no_delete", "BEFORE DELETE", "peer_master_changes", _RECORD),
    _no_truncate("peer_master_changes", _RECORD),
)
"""Peers' master changes: pending until a recorded fingerprint check confirms them."""
"""Peers' operational key certificates, as their key events announced them (append-only)."""

PEER_KEY_REVOCATIONS = (
    f"""
CREATE TABLE peer_key_revocations (
    seq               BIGSERIAL PRIMARY KEY,
    party             {_T} NOT NULL REFERENCES peers (party),
    key_id            {_T} NOT NULL CHECK (length(key_id) > 0),
    kind              {_T} NOT NULL CHECK (kind IN ('signing', 'encryption', 'tls')),
    public_key        BYTEA NOT NULL CHECK (length(public_key) = 32),
    compromised_since BIGINT NOT NULL CHECK (compromised_since >= 0),
    revocation        BYTEA NOT NULL CHECK (length(revocation) > 0),
    received_at       {_T} NOT NULL CHECK (length(received_at) > 0),
    UNIQUE (party, key_id)
)""",
    *_append_only("peer_key_revocations", _RECORD),
)
"""Peers' revoked operational keys, as their key events announced them (append-only)."""
PEER_ENCRYPTION_KEYS = (
    f"""
CREATE TABLE peer_encryption_keys (
    party  {_T} NOT NULL REFERENCES peers (party),
    serial BIGINT NOT NULL CHECK (serial > 0),
    key    BYTEA NOT NULL CHECK (length(key) = 32),
    set_at {_T} NOT NULL CHECK (length(set_at) > 0),
    PRIMARY KEY (party, serial)
)""",
    *_append_only("peer_encryption_keys", _RECORD),
    # The encryption key leaves the immutable columns, for its recorded switches only.
    "DROP TRIGGER peers_keys_immutable ON peers",
    _refuse(
        "peers_keys_immutable",
        "BEFORE UPDATE OF party, signing_key, added_at",
        "peers",
        "a peer's name, keys and added_at never change",
    ),
    """
CREATE FUNCTION hotline_peers_encryption_key_switched() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.encryption_key IS DISTINCT FROM (
        SELECT key FROM peer_encryption_keys WHERE party = NEW.party ORDER BY serial DESC LIMIT 1
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',
            MESSAGE = 'a peer''s encryption key changes only to its newest recorded switch';
    END IF;
    RETURN NEW;
END
$fn$""",
    """
CREATE TRIGGER peers_encryption_key_switched
BEFORE UPDATE OF encryption_key ON peers
FOR EACH ROW
EXECUTE FUNCTION hotline_peers_encryption_key_switched()""",
)
"""Peers' encryption keys switched to by their key events (append-only; the newest is in force)."""

KEY_FILES = (
    f"""
CREATE TABLE key_files (
    path         {_T} PRIMARY KEY CHECK (length(path) > 0),
    content      BYTEA NOT NULL,
    generation   BIGINT NOT NULL CHECK (generation > 0),
    published_at {_T} NOT NULL CHECK (length(published_at) > 0)
)""",
)
"""This terminal's sealed key files, published for its standby (replaced as a whole)."""

STATEMENT_ENDORSERS = (
    "ALTER TABLE statement_signatures ADD COLUMN sk BYTEA "
    "CHECK (sk IS NULL OR octet_length(sk) = 32)",
)
"""The signing key that endorsed a statement signature, when not the party's address (its "sk")."""
