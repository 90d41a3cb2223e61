"""The values a store holds: this terminal's party, peers, messages, journal entries, the record.

Records are plain immutable values, the same for every backend. Each one checks
its own invariants when it is built, so a record that reaches a backend is
already well formed and a record that comes back out of one was stored well
formed: a backend only has to enforce the rules that span rows (serials,
uniqueness, append-only).

Keys, certificates, envelopes and receipts are opaque bytes here. The store
never parses them; ``hotline.crypto`` gives them meaning.

A broken invariant raises :class:`~hotline.errors.StoreError`: the caller tried
to put something into durable state that must never be there.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hotline.errors import StoreError
from hotline.utc import parse_utc

__all__ = [
    "AckRecord",
    "AlarmRecord",
    "CALL_OUTCOMES",
    "CALL_STATES",
    "CONFLICT_KINDS",
    "CallRecord",
    "CheckpointRecord",
    "CosignatureRecord",
    "Direction",
    "HASH_SIZE",
    "JournalEntry",
    "MeetingRecord",
    "MessageRecord",
    "MessageState",
    "PartyRecord",
    "PeerRecord",
    "PresenceRecord",
    "RecordConflictRecord",
    "ShiftNoteRecord",
    "UserRecord",
    "WitnessedRecord",
    "ZERO_HASH",
    "built_journal_entry",
    "check_text",
    "check_utc",
    "normalise_journal_data",
]

HASH_SIZE = 32
"""Length of every hash the store keeps (SHA-256)."""

ZERO_HASH = bytes(HASH_SIZE)
"""The "previous hash" of the first envelope in a direction and of the first journal entry."""

# ASCII digits only, and no trailing newline (which "$" would allow).
_TIME_GROUP = re.compile(r"[0-9]{6}Z")


class Direction(StrEnum):
    """Which way a message travelled, seen from this terminal."""

    OUT = "out"
    IN = "in"


class MessageState(StrEnum):
    """Where a message is on its way; incoming messages are always DELIVERED."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"


def _text(name: str, value: object, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise StoreError(f"{name} must be a str, not {type(value).__name__}")
    if not empty and not value:
        raise StoreError(f"{name} must not be empty")
    if not value.isascii():  # ASCII is always valid UTF-8; most text here is ASCII
        try:
            # SQLite and CBOR both need real UTF-8; a lone surrogate would fail
            # deep inside a write instead of here.
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise StoreError(f"{name} is not valid Unicode text: {exc}") from None
    return value


def _blob(name: str, value: object, *, size: int | None = None, empty: bool = False) -> None:
    # Exactly bytes: a bytearray would make records unequal after a round trip.
    if type(value) is not bytes:
        raise StoreError(f"{name} must be bytes, not {type(value).__name__}")
    if size is not None and len(value) != size:
        raise StoreError(f"{name} must be {size} bytes, not {len(value)}")
    if not empty and not value:
        raise StoreError(f"{name} must not be empty")


def check_text(name: str, value: object) -> str:
    """``value`` if it is non-empty text that encodes as UTF-8; else StoreError."""
    return _text(name, value)


def check_utc(name: str, value: object) -> str:
    """``value`` if it is a :func:`hotline.utc.format_utc` timestamp; else StoreError."""
    text = _text(name, value)
    problem = _utc_problem(text)
    if problem is not None:
        raise StoreError(f"{name}: {problem}")
    return text


@functools.lru_cache(maxsize=512)
def _utc_problem(text: str) -> str | None:
    # Cached: one message's few timestamps are checked again and again on its way
    # (record, journal entry, receipt), and they are mostly the same string.
    if not text.isascii():
        # Stored times sort as ASCII text.
        return "not a UTC timestamp of the form 2026-11-22T04:31:14.123456Z"
    try:
        parse_utc(text)
    except ValueError as exc:
        return str(exc)
    return None


def _optional_time(name: str, value: object) -> None:
    if value is not None:
        check_utc(name, value)


def _serial(name: str, value: object, *, minimum: int) -> None:
    # bool is an int subclass; True must not pass as serial 1.
    if type(value) is not int:
        raise StoreError(f"{name} must be an int, not {type(value).__name__}")
    if value < minimum:
        raise StoreError(f"{name} must be at least {minimum}, not {value}")


def _routes(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise StoreError(f"routes must be a sequence of str, not {type(value).__name__}")
    routes = tuple(value)
    for route in routes:
        _text("route", route)
    return routes


@dataclass(frozen=True, slots=True, kw_only=True)
class PartyRecord:
    """This terminal's own party: its name, public keys, routes and time zone."""

    party: str
    signing_key: bytes
    encryption_key: bytes
    routes: tuple[str, ...]
    timezone: str
    created_at: str

    def __post_init__(self) -> None:
        _text("party", self.party)
        _blob("signing_key", self.signing_key)
        _blob("encryption_key", self.encryption_key)
        object.__setattr__(self, "routes", _routes(self.routes))
        _text("timezone", self.timezone)
        check_utc("created_at", self.created_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerRecord:
    """A peer added from its card: keys, routes, TLS certificate and the card itself."""

    party: str
    signing_key: bytes
    encryption_key: bytes
    routes: tuple[str, ...]
    timezone: str
    certificate: bytes
    card_json: str
    fingerprint: str
    added_at: str

    def __post_init__(self) -> None:
        _text("party", self.party)
        _blob("signing_key", self.signing_key)
        _blob("encryption_key", self.encryption_key)
        object.__setattr__(self, "routes", _routes(self.routes))
        _text("timezone", self.timezone)
        _blob("certificate", self.certificate)
        _text("card_json", self.card_json)
        _text("fingerprint", self.fingerprint)
        check_utc("added_at", self.added_at)

    def same_keys(self, other: PeerRecord) -> bool:
        """True if ``other`` names the same party with the same two keys."""
        return (
            self.party == other.party
            and self.signing_key == other.signing_key
            and self.encryption_key == other.encryption_key
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecord:
    """One message, sent or received, with its envelope and (once there is one) its receipt.

    The state rules, which every backend relies on:

    * IN: always DELIVERED, with ``delivered_at`` (our received time) and
      ``receipt`` (the receipt we issued); never ``transmitted_at``.
    * OUT, QUEUED: no ``transmitted_at``, ``delivered_at`` or ``receipt``.
    * OUT, SENT: ``transmitted_at`` set; no ``delivered_at`` or ``receipt``.
    * OUT, DELIVERED: ``receipt`` and ``delivered_at`` set; ``transmitted_at`` may
      be missing (a receipt can arrive for a write whose mark was lost in a crash).
    """

    id: str
    direction: Direction
    peer: str
    channel: str
    serial: int
    time_group: str
    sent_at: str
    precedence: str
    kind: str
    text: str
    body: bytes
    envelope: bytes
    envelope_hash: bytes
    state: MessageState
    created_at: str
    transmitted_at: str | None
    delivered_at: str | None
    receipt: bytes | None

    def __post_init__(self) -> None:
        _text("id", self.id)
        # Built on the path, they are members already; read from a row, text.
        if type(self.direction) is not Direction or type(self.state) is not MessageState:
            try:
                object.__setattr__(self, "direction", Direction(self.direction))
                object.__setattr__(self, "state", MessageState(self.state))
            except ValueError as exc:
                raise StoreError(f"message {self.id}: {exc}") from None
        _text("peer", self.peer)
        _text("channel", self.channel)
        _serial("serial", self.serial, minimum=1)
        _text("time_group", self.time_group)
        if not _TIME_GROUP.fullmatch(self.time_group):
            raise StoreError(f"time_group must look like 231600Z, not {self.time_group!r}")
        check_utc("sent_at", self.sent_at)
        _text("precedence", self.precedence)
        _text("kind", self.kind)
        _text("text", self.text, empty=True)
        _blob("body", self.body)
        _blob("envelope", self.envelope)
        _blob("envelope_hash", self.envelope_hash, size=HASH_SIZE)
        check_utc("created_at", self.created_at)
        _optional_time("transmitted_at", self.transmitted_at)
        _optional_time("delivered_at", self.delivered_at)
        if self.receipt is not None:
            _blob("receipt", self.receipt)
        self._check_state()

    def _check_state(self) -> None:
        problem = self._state_problem()
        if problem is not None:
            # Named only on failure: every record built or read passes through here.
            raise StoreError(f"message {self.id} ({self.direction} {self.state}): {problem}")

    def _state_problem(self) -> str | None:
        if self.direction is Direction.IN:
            if self.state is not MessageState.DELIVERED:
                return "incoming messages are always delivered"
            if self.transmitted_at is not None:
                return "transmitted_at is for outgoing messages"
        delivered = self.state is MessageState.DELIVERED
        if delivered != (self.receipt is not None):
            return "a receipt exactly when delivered"
        if delivered != (self.delivered_at is not None):
            return "delivered_at exactly when delivered"
        if self.state is MessageState.QUEUED and self.transmitted_at is not None:
            return "a queued message has not been transmitted"
        if self.state is MessageState.SENT and self.transmitted_at is None:
            return "a sent message needs transmitted_at"
        return None


def _normalise(value: object, path: str) -> Any:
    # Exactly the JSON types, because the entry is stored as JSON and hashed as
    # CBOR: anything that does not survive both unchanged would break the chain
    # on the way back out (a float's form, an int dict key turned into a str).
    kind = type(value)
    if value is None or kind is bool or kind is int:
        return value
    if isinstance(value, str):
        _text(path, value, empty=True)
        return value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise StoreError(f"{path}: keys must be str, not {type(key).__name__}")
            if not key.isascii():
                _text(f"{path} key", key, empty=True)
            kind = type(item)
            # The common leaves inline: this runs for every journal entry, and the
            # recursion would format a path string for each of them.
            if item is None or kind is bool or kind is int or (kind is str and item.isascii()):
                out[key] = item
            else:
                out[key] = _normalise(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_normalise(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise StoreError(
        f"{path}: journal data holds only str, int, bool, None, lists and str-keyed maps, "
        f"not {type(value).__name__}"
    )


def normalise_journal_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A plain-dict deep copy of ``data``, or StoreError if it is not JSON-able as specified.

    Tuples become lists (as they would after a JSON round trip); floats, bytes
    and non-str keys are refused.
    """
    if not isinstance(data, Mapping):
        raise StoreError(f"journal data must be a mapping, not {type(data).__name__}")
    normalised: dict[str, Any] = _normalise(data, "data")
    return normalised


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalEntry:
    """One entry of the append-only, hash-chained journal.

    ``hash`` is *not* checked against the contents here: a tampered entry must
    still load, so that :meth:`~hotline.store.Store.verify_journal` can name it.
    """

    seq: int
    at: str
    kind: str
    data: dict[str, Any]
    prev_hash: bytes
    hash: bytes

    def __post_init__(self) -> None:
        _serial("seq", self.seq, minimum=1)
        check_utc("at", self.at)
        _text("kind", self.kind)
        object.__setattr__(self, "data", normalise_journal_data(self.data))
        _blob("prev_hash", self.prev_hash, size=HASH_SIZE)
        _blob("hash", self.hash, size=HASH_SIZE)


def built_journal_entry(
    *, seq: int, at: str, kind: str, data: dict[str, Any], prev_hash: bytes, hash: bytes
) -> JournalEntry:
    """A :class:`JournalEntry` from parts a store has just checked, without checking them again.

    For a backend's append path only: ``at`` passed :func:`check_utc`, ``kind``
    is non-empty text, ``data`` is what :func:`normalise_journal_data` returned,
    ``seq`` is the next int and the hashes are 32-byte digests. The constructor
    would repeat all of it (normalising ``data`` a second time), once per
    message on the hot path.
    """
    entry = object.__new__(JournalEntry)
    # The slots of a frozen dataclass, set as its own __init__ sets them.
    set_field = object.__setattr__
    set_field(entry, "seq", seq)
    set_field(entry, "at", at)
    set_field(entry, "kind", kind)
    set_field(entry, "data", data)
    set_field(entry, "prev_hash", prev_hash)
    set_field(entry, "hash", hash)
    return entry


@dataclass(frozen=True, slots=True, kw_only=True)
class AlarmRecord:
    """An alarm about the line: raised at ``since``, open until ``cleared_at``.

    ``kind`` is one of the terminal's alarm kinds (``test-missed``,
    ``peer-test-missed``, ``line-down``); ``route`` is None for an alarm about
    the whole line. ``cleared_by`` says what cleared it (a passing test, the line
    coming back, an operator).
    """

    id: str
    kind: str
    peer: str
    route: str | None
    since: str
    detail: str
    cleared_at: str | None = None
    cleared_by: str | None = None
    #: An operator saw it (the console stops sounding it); it stays open until cleared.
    acknowledged_at: str | None = None
    acknowledged_by: str | None = None

    def __post_init__(self) -> None:
        _text("id", self.id)
        _optional_time("acknowledged_at", self.acknowledged_at)
        if (self.acknowledged_at is None) != (self.acknowledged_by is None):
            raise StoreError(f"alarm {self.id}: acknowledged_at and acknowledged_by go together")
        _text("kind", self.kind)
        _text("peer", self.peer)
        if self.route is not None:
            _text("route", self.route)
        check_utc("since", self.since)
        _text("detail", self.detail, empty=True)
        _optional_time("cleared_at", self.cleared_at)
        if (self.cleared_at is None) != (self.cleared_by is None):
            raise StoreError(f"alarm {self.id}: cleared_at and cleared_by go together")
        if self.cleared_by is not None:
            _text("cleared_by", self.cleared_by)

    @property
    def open(self) -> bool:
        return self.cleared_at is None


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRecord:
    """A console account: a person, their role, and their own signing key.

    ``password_hash`` is an Argon2id PHC string. The user's Ed25519 private key is
    stored only wrapped (sealed with a key derived from their password), so the
    terminal can sign in their name only while they are logged in.
    """

    name: str
    role: str
    password_hash: str
    language: str
    signing_key: bytes
    wrapped_key: bytes
    key_salt: bytes
    created_at: str
    disabled: bool = False

    def __post_init__(self) -> None:
        _text("name", self.name)
        _text("role", self.role)
        _text("password_hash", self.password_hash)
        _text("language", self.language)
        _blob("signing_key", self.signing_key, size=32)
        _blob("wrapped_key", self.wrapped_key)
        _blob("key_salt", self.key_salt)
        check_utc("created_at", self.created_at)
        if not isinstance(self.disabled, bool):
            raise StoreError("disabled must be a bool")


@dataclass(frozen=True, slots=True, kw_only=True)
class AckRecord:
    """A person acknowledged a message: ours to the peer (``given``) or the peer's (``received``).

    ``message_id`` is the acknowledged message; ``ack_id`` the ``ack`` message that
    carried the acknowledgement across the line.
    """

    message_id: str
    direction: str  # "given" | "received"
    by: str
    at: str
    ack_id: str
    operator_key: bytes
    operator_signature: bytes

    def __post_init__(self) -> None:
        _text("message_id", self.message_id)
        if self.direction not in ("given", "received"):
            raise StoreError(f"ack direction must be given or received, not {self.direction!r}")
        _text("by", self.by)
        check_utc("at", self.at)
        _text("ack_id", self.ack_id)
        _blob("operator_key", self.operator_key, size=32)
        _blob("operator_signature", self.operator_signature, size=64)


@dataclass(frozen=True, slots=True, kw_only=True)
class ShiftNoteRecord:
    """A handover note, signed by its author's own key."""

    id: str
    author: str
    text: str
    at: str
    author_key: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _text("id", self.id)
        _text("author", self.author)
        _text("text", self.text)
        check_utc("at", self.at)
        _blob("author_key", self.author_key, size=32)
        _blob("signature", self.signature, size=64)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingRecord:
    """A meeting proposal (a ``meeting`` notification) and where its replies have taken it.

    ``data`` is the proposal's current data as canonical JSON text (the proposal
    updated by every accepted reply); ``state`` one of the meeting states.
    """

    proposal_id: str
    peer: str
    state: str
    data: str
    updated_at: str
    last_reply: str | None = None

    def __post_init__(self) -> None:
        _text("proposal_id", self.proposal_id)
        _text("peer", self.peer)
        _text("state", self.state)
        _text("data", self.data)
        check_utc("updated_at", self.updated_at)
        if self.last_reply is not None:
            _text("last_reply", self.last_reply)


#: How a call ended (docs/protocol/calls.md).
CALL_OUTCOMES = ("completed", "declined", "missed", "failed")
#: Where a call can be; "ended" is final.
CALL_STATES = ("calling", "ringing", "connected", "reconnecting", "ended")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """One video or voice call between consoles: its record, kept by both parties.

    ``direction`` is ``out`` when this terminal's party placed the call. Times
    are the ones signed in the call's signals (requested: the offer's, answered:
    the answer's, ended: the first hang-up's), so both parties' records agree.
    Fingerprints are the DTLS certificate fingerprints ("sha-256 AB:CD:..."),
    each signed by its party. A record with an outcome is ended and never changes.
    """

    id: str
    peer: str
    direction: Direction
    channel: str
    kind: str
    state: str
    requested_at: str
    our_fingerprint: str | None = None
    peer_fingerprint: str | None = None
    answered_at: str | None = None
    ended_at: str | None = None
    outcome: str | None = None
    reason: str | None = None
    placed_by: str | None = None
    answered_by: str | None = None
    ended_by: str | None = None

    def __post_init__(self) -> None:
        _text("id", self.id)
        _text("peer", self.peer)
        _text("channel", self.channel)
        if not isinstance(self.direction, Direction):
            raise StoreError(f"direction must be a Direction, not {self.direction!r}")
        if self.kind not in ("video", "audio"):
            raise StoreError(f"call kind must be video or audio, not {self.kind!r}")
        if self.state not in CALL_STATES:
            raise StoreError(f"call state {self.state!r} is not one of {', '.join(CALL_STATES)}")
        check_utc("requested_at", self.requested_at)
        _optional_time("answered_at", self.answered_at)
        _optional_time("ended_at", self.ended_at)
        ended = self.state == "ended"
        if ended != (self.outcome is not None) or ended != (self.ended_at is not None):
            raise StoreError("an ended call has an outcome and an end time; a live one neither")
        if self.outcome is not None and self.outcome not in CALL_OUTCOMES:
            raise StoreError(f"call outcome {self.outcome!r} is not one of {CALL_OUTCOMES}")
        if self.outcome == "completed" and self.answered_at is None:
            raise StoreError("a completed call was answered")

    @property
    def duration(self) -> float | None:
        """Seconds from answer to end; None for a call never answered or still going."""
        if self.answered_at is None or self.ended_at is None:
            return None
        seconds = (parse_utc(self.ended_at) - parse_utc(self.answered_at)).total_seconds()
        return round(max(0.0, seconds), 3)


@dataclass(frozen=True, slots=True, kw_only=True)
class PresenceRecord:
    """A request that the principal come to the machine, and who answered it when."""

    id: str
    peer: str
    direction: Direction
    channel: str
    requested_at: str
    requested_by: str
    note: str = ""
    answered_at: str | None = None
    answered_by: str | None = None

    def __post_init__(self) -> None:
        _text("id", self.id)
        _text("peer", self.peer)
        _text("channel", self.channel)
        _text("requested_by", self.requested_by)
        if not isinstance(self.direction, Direction):
            raise StoreError(f"direction must be a Direction, not {self.direction!r}")
        check_utc("requested_at", self.requested_at)
        _optional_time("answered_at", self.answered_at)
        if (self.answered_at is None) != (self.answered_by is None):
            raise StoreError("an answered presence request has both who and when")


# -- the record: checkpoints, cosignatures, witnessed checkpoints, conflicts (docs/store.md §8)

#: What a record conflict is evidence of.
CONFLICT_KINDS = ("fork", "rollback", "bad-proof", "bad-signature")
_INT64_MAX = 2**63 - 1  # sizes and timestamps are stored as SQL integers, signed 64-bit


def _count(name: str, value: object) -> None:
    _serial(name, value, minimum=0)
    if isinstance(value, int) and value > _INT64_MAX:
        raise StoreError(f"{name} must be below 2**63, not {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckpointRecord:
    """A checkpoint of our record that we signed (C2SP ``tlog-checkpoint`` in a signed note)."""

    size: int
    root: bytes
    note: bytes
    issued_at: str

    def __post_init__(self) -> None:
        _count("size", self.size)
        _blob("root", self.root, size=HASH_SIZE)
        _blob("note", self.note)
        check_utc("issued_at", self.issued_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class CosignatureRecord:
    """A peer's ``cosignature/v1`` of our checkpoint: ``line`` as received, its ``timestamp``."""

    peer: str
    size: int
    root: bytes
    timestamp: int
    line: str
    received_at: str

    def __post_init__(self) -> None:
        _text("peer", self.peer)
        _count("size", self.size)
        _blob("root", self.root, size=HASH_SIZE)
        _count("timestamp", self.timestamp)
        _text("line", self.line)
        if "\n" in self.line:
            raise StoreError("a cosignature line holds no newline")
        check_utc("received_at", self.received_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessedRecord:
    """A peer's checkpoint that we checked and cosigned: ``note`` includes our cosignature line."""

    peer: str
    size: int
    root: bytes
    note: bytes
    cosigned_at: str

    def __post_init__(self) -> None:
        _text("peer", self.peer)
        _count("size", self.size)
        _blob("root", self.root, size=HASH_SIZE)
        _blob("note", self.note)
        check_utc("cosigned_at", self.cosigned_at)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordConflictRecord:
    """Evidence that a log forked, rolled back, or offered a bad proof or signature.

    ``log``: whose log (``"ours"`` or the peer's party). ``known``: the signed note
    we held (empty if none); ``offered``: the one offered, with ``proof`` (the
    consistency proof's hashes, if any). ``id`` is None until the store gives one.
    """

    id: int | None
    log: str
    peer: str
    kind: str
    detected_at: str
    known: bytes
    offered: bytes
    proof: tuple[bytes, ...]
    detail: str

    def __post_init__(self) -> None:
        if self.id is not None:
            _serial("id", self.id, minimum=1)
        _text("log", self.log)
        _text("peer", self.peer)
        if self.kind not in CONFLICT_KINDS:
            raise StoreError(f"conflict kind {self.kind!r} is not one of {CONFLICT_KINDS}")
        check_utc("detected_at", self.detected_at)
        _blob("known", self.known, empty=True)
        _blob("offered", self.offered)
        if isinstance(self.proof, bytes) or not isinstance(self.proof, Sequence):
            raise StoreError(f"proof must be a sequence of hashes, not {type(self.proof).__name__}")
        object.__setattr__(self, "proof", tuple(self.proof))
        for index, node in enumerate(self.proof):
            _blob(f"proof[{index}]", node, size=HASH_SIZE)
        _text("detail", self.detail, empty=True)
