"""Joint statements: the bytes parties agree to, the signatures that bind them, the state.

Theory of operation
-------------------
A joint statement (docs/protocol/statements.md) is a chain of **drafts**. A
draft is a canonical CBOR map (:class:`StatementDraft`): the conference it circulates
in, its title, its parties (name and Ed25519 signing key, sorted by key), the
policy (``k`` of the ``n`` parties), optional effective and expiry times, the
text in one or more languages, which language is authoritative (None: all are
equally authentic), the draft it revises, who drafted it and when. Its id is
the SHA-256 of :data:`STATEMENT_DOMAIN` and those bytes, so a draft cannot
change without changing its id; the first draft's id names the statement.

A person signs the exact draft (:func:`person_message`: :data:`SIGN_DOMAIN`
and the draft id) with their own key; their party's terminal then **endorses**
that signature with the party's signing key (:data:`ENDORSE_DOMAIN` and the
canonical map of :meth:`StatementSignature.endorsed_map`), which is what binds
the person to the party for a verifier holding only the parties' cards. A
party that rotated its signing key endorses with the current one and names it
in the map's ``"sk"`` (as envelopes do); the verifier resolves it to a key the
party's master certified (:meth:`StatementSignature.verify`'s ``endorser``).

The state (:func:`derive`) is a pure function of the drafts, the signatures,
a withdrawal and the clock, so every party's terminal, and an auditor reading
an export, computes the same one from the same records. :data:`STATEMENTS` is
the table of moves, printed into the docs.

This module is pure (no store, no clock, no I/O): the statements desk and the
record's audit both build on it, and neither imports the other.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import cbor2

from hotline.crypto import verify_signature
from hotline.errors import CryptoError, StatementInvalid
from hotline.statetable import StateTable
from hotline.utc import parse_utc

__all__ = [
    "ENDORSE_DOMAIN",
    "MAX_PAYLOAD_BYTES",
    "MAX_STATEMENT_TEXT_BYTES",
    "ReleaseTarget",
    "SIGN_DOMAIN",
    "STATEMENTS",
    "STATEMENT_DOMAIN",
    "StatementDraft",
    "StatementEvent",
    "StatementParty",
    "StatementSignature",
    "StatementState",
    "StatementStatus",
    "check_language",
    "derive",
    "person_message",
    "sign_draft",
    "statement_id",
]

STATEMENT_DOMAIN = b"hotline-statement-v1\x00"
SIGN_DOMAIN = b"hotline-statement-sign-v1\x00"
ENDORSE_DOMAIN = b"hotline-statement-endorse-v1\x00"
#: Each language's text at most (UTF-8).
MAX_STATEMENT_TEXT_BYTES = 65_536
#: The whole draft at most: it travels inside one sealed body (64 KiB with its envelope map).
MAX_PAYLOAD_BYTES = 48_000
_KEY_BYTES = 32
_SIGNATURE_BYTES = 64
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
_ID = re.compile(r"^[0-9a-f]{64}$")
_KEYS = frozenset(
    {
        "v",
        "conference",
        "title",
        "parties",
        "policy",
        "effective",
        "expires",
        "texts",
        "authoritative",
        "previous",
        "drafter",
        "drafted_at",
    }
)
#: A draft that releases a marked message carries all three, or none.
_RELEASE_KEYS = frozenset({"releases", "releases_hash", "releases_group"})
_HASH = re.compile(r"^[0-9a-f]{64}$")


def _canonical(value: object) -> bytes:
    return bytes(cbor2.dumps(value, canonical=True))


def statement_id(payload: bytes) -> str:
    """The id of a draft: SHA-256 hex of the domain prefix and its canonical bytes."""
    return hashlib.sha256(STATEMENT_DOMAIN + payload).hexdigest()


def check_language(code: str) -> str:
    """A BCP-47-ish language code (``en``, ``ru``, ``pt-BR``); StatementInvalid otherwise."""
    if not isinstance(code, str) or not _LANGUAGE.match(code):
        raise StatementInvalid(f"{code!r} is not a language code (e.g. en, fr, pt-BR)")
    return code


def _utc(value: object, what: str, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise StatementInvalid(f"{what} must be a UTC time")
    try:
        parse_utc(value)
    except (TypeError, ValueError) as exc:
        raise StatementInvalid(f"{what}: {exc}") from None
    return value


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise StatementInvalid(f"{what} must be a statement id (64 hex digits)")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementParty:
    """One party of a statement: its name as on its card and its Ed25519 signing key."""

    party: str
    key: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseTarget:
    """The marked message a statement releases when it comes into force (markings.md §3).

    ``message`` is the id of the copy the drafter holds and ``envelope_hash``
    the hex SHA-256 of that copy's envelope, so the link is exact; ``group``
    is its group id when it was sent to several parties (each holder finds
    its own copy by it), else None.
    """

    message: str
    envelope_hash: str
    group: str | None

    def __post_init__(self) -> None:
        if not isinstance(self.message, str) or not 1 <= len(self.message) <= 128:
            raise StatementInvalid("a released message is named by its id")
        if not isinstance(self.envelope_hash, str) or not _HASH.match(self.envelope_hash):
            raise StatementInvalid("a released message's envelope hash is 64 hex digits")
        if self.group is not None and (not isinstance(self.group, str) or not self.group):
            raise StatementInvalid("a released message's group is its group id or null")


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementDraft:
    """One draft of a joint statement: exactly what its signers agree to.

    The constructor checks every invariant (StatementInvalid naming the
    first that fails), so a StatementDraft in hand is always one a party may sign.
    """

    conference: str
    title: str
    #: Sorted by key, each party and key once.
    parties: tuple[StatementParty, ...]
    #: How many distinct parties must sign (1..n).
    k: int
    effective: str | None
    expires: str | None
    #: (language, text), sorted by language.
    texts: tuple[tuple[str, str], ...]
    authoritative: str | None
    previous: str | None
    drafter: str
    drafted_at: str
    #: The marked message this statement releases when in force; None for most statements.
    releases: ReleaseTarget | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.conference, str) or not self.conference:
            raise StatementInvalid("a statement names its conference")
        if not isinstance(self.title, str) or not self.title.strip() or len(self.title) > 200:
            raise StatementInvalid("a statement has a title of 1 to 200 characters")
        keys = [p.key for p in self.parties]
        names = [p.party for p in self.parties]
        if len(self.parties) < 2:
            raise StatementInvalid("a joint statement has at least two parties")
        for p in self.parties:
            if not isinstance(p.party, str) or not p.party:
                raise StatementInvalid("each party has a name")
            if not isinstance(p.key, bytes) or len(p.key) != _KEY_BYTES:
                raise StatementInvalid(f"party {p.party}: a signing key is 32 bytes")
        if keys != sorted(set(keys)) or len(set(names)) != len(names):
            raise StatementInvalid("the parties are sorted by key, each party and key once")
        if isinstance(self.k, bool) or not isinstance(self.k, int):
            raise StatementInvalid("the policy's k is an integer")
        if not 1 <= self.k <= len(self.parties):
            raise StatementInvalid(
                f"the policy needs 1 to {len(self.parties)} parties, not {self.k}"
            )
        _utc(self.effective, "effective", optional=True)
        _utc(self.expires, "expires", optional=True)
        _utc(self.drafted_at, "drafted_at")
        if self.expires is not None and parse_utc(self.expires) <= parse_utc(self.drafted_at):
            raise StatementInvalid("a statement expires after it is drafted")
        if not self.texts:
            raise StatementInvalid("a statement has its text in at least one language")
        languages = [lang for lang, _ in self.texts]
        if languages != sorted(set(languages)):
            raise StatementInvalid("the texts are sorted by language, each language once")
        for lang, text in self.texts:
            check_language(lang)
            if not isinstance(text, str) or not text.strip():
                raise StatementInvalid(f"the {lang} text is empty")
            if not unicodedata.is_normalized("NFC", text):
                raise StatementInvalid(f"the {lang} text is not in Unicode NFC")
            if len(text.encode("utf-8")) > MAX_STATEMENT_TEXT_BYTES:
                raise StatementInvalid(
                    f"the {lang} text is longer than {MAX_STATEMENT_TEXT_BYTES} bytes"
                )
        if self.authoritative is not None and self.authoritative not in languages:
            raise StatementInvalid(f"the authoritative language {self.authoritative!r} has no text")
        if self.previous is not None:
            _check_id(self.previous, "previous")
        if self.drafter not in names:
            raise StatementInvalid(f"the drafter {self.drafter!r} is not one of the parties")
        if len(self.encode()) > MAX_PAYLOAD_BYTES:
            raise StatementInvalid(
                f"the statement is longer than {MAX_PAYLOAD_BYTES} bytes: it must fit one message"
            )

    # -- bytes ------------------------------------------------------------------

    def to_map(self) -> dict[str, Any]:
        return {
            "v": 1,
            "conference": self.conference,
            "title": self.title,
            "parties": [{"p": p.party, "k": p.key} for p in self.parties],
            "policy": {"k": self.k},
            "effective": self.effective,
            "expires": self.expires,
            "texts": dict(self.texts),
            "authoritative": self.authoritative,
            "previous": self.previous,
            "drafter": self.drafter,
            "drafted_at": self.drafted_at,
            # Only a releasing draft carries these keys: every other draft (and id) is unchanged.
            **(
                {}
                if self.releases is None
                else {
                    "releases": self.releases.message,
                    "releases_hash": self.releases.envelope_hash,
                    "releases_group": self.releases.group,
                }
            ),
        }

    def encode(self) -> bytes:
        """The canonical CBOR every party signs (through its id)."""
        return _canonical(self.to_map())

    @property
    def id(self) -> str:
        return statement_id(self.encode())

    @classmethod
    def decode(cls, data: bytes) -> StatementDraft:
        """Parse a draft's bytes; StatementInvalid unless they are its canonical encoding."""
        if not isinstance(data, bytes) or len(data) > MAX_PAYLOAD_BYTES:
            raise StatementInvalid(f"a draft is at most {MAX_PAYLOAD_BYTES} bytes")
        try:
            found = cbor2.loads(data)
        except (cbor2.CBORDecodeError, ValueError, TypeError) as exc:
            raise StatementInvalid(f"a draft is not CBOR: {exc}") from None
        draft = cls.from_map(found)
        if draft.encode() != data:
            raise StatementInvalid("a draft is not in canonical CBOR")
        return draft

    @classmethod
    def from_map(cls, found: object) -> StatementDraft:
        if not isinstance(found, Mapping) or set(found) not in (_KEYS, _KEYS | _RELEASE_KEYS):
            raise StatementInvalid(
                f"a draft holds exactly {', '.join(sorted(_KEYS))} "
                f"(and {', '.join(sorted(_RELEASE_KEYS))} when it releases a message)"
            )
        if found["v"] != 1:
            raise StatementInvalid(f"draft version {found['v']!r} is not 1")
        parties = found["parties"]
        if not isinstance(parties, list) or not all(
            isinstance(p, Mapping) and set(p) == {"p", "k"} for p in parties
        ):
            raise StatementInvalid("the parties are a list of {p: name, k: key}")
        policy = found["policy"]
        if not isinstance(policy, Mapping) or set(policy) != {"k"}:
            raise StatementInvalid("the policy is {k: how many parties}")
        texts = found["texts"]
        if not isinstance(texts, Mapping) or not all(isinstance(lang, str) for lang in texts):
            raise StatementInvalid("the texts are a map of language to text")
        return cls(
            conference=found["conference"],
            title=found["title"],
            parties=tuple(StatementParty(party=p["p"], key=p["k"]) for p in parties),
            k=policy["k"],
            effective=found["effective"],
            expires=found["expires"],
            texts=tuple(sorted(texts.items())),
            authoritative=found["authoritative"],
            previous=found["previous"],
            drafter=found["drafter"],
            drafted_at=found["drafted_at"],
            releases=(
                ReleaseTarget(
                    message=found["releases"],
                    envelope_hash=found["releases_hash"],
                    group=found["releases_group"],
                )
                if "releases" in found
                else None
            ),
        )

    # -- reading ----------------------------------------------------------------

    @property
    def n(self) -> int:
        return len(self.parties)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang, _ in self.texts)

    def text(self, language: str) -> str | None:
        return dict(self.texts).get(language)

    def party(self, name: str) -> StatementParty | None:
        return next((p for p in self.parties if p.party == name), None)

    def party_by_key(self, key: bytes) -> StatementParty | None:
        return next((p for p in self.parties if p.key == key), None)

    def revised(self, *, texts: Mapping[str, str], drafter: str, drafted_at: str) -> StatementDraft:
        """The next draft: ``texts`` replace (or add) those languages; parties and policy stay."""
        merged = dict(self.texts)
        merged.update({lang: unicodedata.normalize("NFC", t) for lang, t in texts.items()})
        return replace(
            self,
            texts=tuple(sorted(merged.items())),
            previous=self.id,
            drafter=drafter,
            drafted_at=drafted_at,
        )

    def same_terms(self, other: StatementDraft) -> bool:
        """Whether ``other`` keeps this draft's conference, parties, policy and release (a revision must)."""
        return (self.conference, self.parties, self.k, self.releases) == (
            other.conference,
            other.parties,
            other.k,
            other.releases,
        )

    @property
    def public_text(self) -> str:
        """What a release by this statement makes public: the authoritative text, else the first."""
        return dict(self.texts)[self.authoritative or self.texts[0][0]]


def person_message(draft_id: str) -> bytes:
    """The bytes a person signs for a draft: the domain prefix and the draft id's 32 bytes."""
    return SIGN_DOMAIN + bytes.fromhex(_check_id(draft_id, "the draft id"))


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementSignature:
    """A person's signature on one draft, endorsed by their party's terminal."""

    draft: str
    party: str
    person: str
    person_key: bytes
    person_sig: bytes
    signed_at: str
    #: The party's Ed25519 signature over :meth:`endorsement_message`.
    endorsement: bytes
    #: The signing key that endorsed when it is not the party's address (a rotated
    #: key, docs/protocol/statements.md §2); None: the address, and no "sk" in the map.
    sk: bytes | None = None

    def endorsed_map(self) -> dict[str, Any]:
        signed: dict[str, Any] = {
            "statement": self.draft,
            "party": self.party,
            "person": self.person,
            "person_key": self.person_key,
            "person_sig": self.person_sig,
            "signed_at": self.signed_at,
        }
        # Absent, not null, for the address: a signature that names no key is
        # byte for byte what it was before rotations.
        if self.sk is not None:
            signed["sk"] = self.sk
        return signed

    def endorsement_message(self) -> bytes:
        return ENDORSE_DOMAIN + _canonical(self.endorsed_map())

    def to_map(self) -> dict[str, Any]:
        return {**self.endorsed_map(), "endorsement": self.endorsement}

    @classmethod
    def from_map(cls, found: object) -> StatementSignature:
        keys = {"statement", "party", "person", "person_key", "person_sig", "signed_at"}
        if not isinstance(found, Mapping) or set(found) - {"sk"} != keys | {"endorsement"}:
            raise StatementInvalid(
                f"a signature holds exactly {', '.join(sorted(keys))}, endorsement (and sk)"
            )
        sk = found.get("sk")
        if sk is not None and (not isinstance(sk, bytes) or len(sk) != _KEY_BYTES):
            raise StatementInvalid(f"a signature's sk is a {_KEY_BYTES}-byte signing key")
        for name in ("party", "person"):
            if not isinstance(found[name], str) or not found[name]:
                raise StatementInvalid(f"a signature names its {name}")
        for name, size in (
            ("person_key", _KEY_BYTES),
            ("person_sig", _SIGNATURE_BYTES),
            ("endorsement", _SIGNATURE_BYTES),
        ):
            if not isinstance(found[name], bytes) or len(found[name]) != size:
                raise StatementInvalid(f"a signature's {name} is {size} bytes")
        return cls(
            draft=_check_id(found["statement"], "a signature's statement"),
            party=found["party"],
            person=found["person"],
            person_key=found["person_key"],
            person_sig=found["person_sig"],
            signed_at=str(_utc(found["signed_at"], "signed_at")),
            endorsement=found["endorsement"],
            sk=sk,
        )

    def verify(self, draft: StatementDraft, *, endorser: bytes | None = None) -> None:
        """StatementInvalid naming the fault unless both signatures hold for ``draft``'s party.

        Without ``sk`` the endorsement is checked under the party's key as the
        draft names it (its address). With one, the caller resolves it first,
        to a signing key the party's master certified valid at ``signed_at``
        (``Signers.signing_key_for`` in a terminal, ``certified_signer``
        offline), and passes it as ``endorser``: a key it could not resolve
        (None) or another one is refused.
        """
        if self.draft != draft.id:
            raise StatementInvalid(f"{self.person} of {self.party} signed another draft")
        party = draft.party(self.party)
        if party is None:
            raise StatementInvalid(f"{self.party} is not a party of this statement")
        try:
            verify_signature(self.person_key, self.person_sig, person_message(self.draft))
        except CryptoError:
            raise StatementInvalid(
                f"the signature of {self.person} ({self.party}) does not verify"
            ) from None
        key = party.key
        if self.sk is not None and self.sk != party.key:
            if endorser != self.sk:
                raise StatementInvalid(
                    f"{self.party}'s endorsement of {self.person}'s signature names a signing "
                    "key not certified for it here"
                )
            key = self.sk
        try:
            verify_signature(key, self.endorsement, self.endorsement_message())
        except CryptoError:
            raise StatementInvalid(
                f"{self.party}'s endorsement of {self.person}'s signature does not verify"
            ) from None


def sign_draft(
    draft_id: str,
    *,
    party: str,
    person: str,
    person_key: bytes,
    person_sign: Callable[[bytes], bytes],
    party_sign: Callable[[bytes], bytes],
    signed_at: str,
    sk: bytes | None = None,
) -> StatementSignature:
    """A person's signature on ``draft_id`` (``person_sign``), endorsed by the party (``party_sign``).

    ``sk`` is the key ``party_sign`` signs with when it is not the party's
    address (a rotated signing key: ``Identity.rotated_signer``).
    """
    unsigned = StatementSignature(
        draft=draft_id,
        party=party,
        person=person,
        person_key=person_key,
        person_sig=person_sign(person_message(draft_id)),
        signed_at=signed_at,
        endorsement=b"",
        sk=sk,
    )
    return replace(unsigned, endorsement=party_sign(unsigned.endorsement_message()))


# -- the state ---------------------------------------------------------------------


class StatementState(StrEnum):
    DRAFT = "draft"  # composed, not yet circulated (stored drafts are always circulated)
    CIRCULATING = "circulating"  # the current draft has no signature that counts
    SIGNED = "signed"  # signed by some, fewer than k, parties
    IN_FORCE = "in-force"  # k distinct parties signed the current draft
    WITHDRAWN = "withdrawn"  # by its drafter, before it was in force
    EXPIRED = "expired"  # its expiry passed before it was in force


class StatementEvent(StrEnum):
    CIRCULATED = "circulated"  # the first draft went to every party
    SIGNED = "signed"  # a party's first counted signature, the policy not yet met
    POLICY_MET = "policy-met"  # the k-th distinct party signed the current draft
    REVISED = "revised"  # a new draft: no signature counts for it yet
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


_D, _C, _S, _F, _W, _E = (
    StatementState.DRAFT,
    StatementState.CIRCULATING,
    StatementState.SIGNED,
    StatementState.IN_FORCE,
    StatementState.WITHDRAWN,
    StatementState.EXPIRED,
)
_MOVES = {
    (_D, StatementEvent.CIRCULATED): _C,
    (_C, StatementEvent.SIGNED): _S,
    (_C, StatementEvent.POLICY_MET): _F,
    (_C, StatementEvent.REVISED): _C,
    (_C, StatementEvent.WITHDRAWN): _W,
    (_C, StatementEvent.EXPIRED): _E,
    (_S, StatementEvent.SIGNED): _S,
    (_S, StatementEvent.POLICY_MET): _F,
    (_S, StatementEvent.REVISED): _C,
    (_S, StatementEvent.WITHDRAWN): _W,
    (_S, StatementEvent.EXPIRED): _E,
    # A party beyond the k-th may still sign a statement in force.
    (_F, StatementEvent.SIGNED): _F,
}


def _refuse(state: StatementState, event: StatementEvent) -> Exception:
    return StatementInvalid(f"a statement that is {state} cannot be {event}")


#: The statement's state table (docs/protocol/statements.md prints it).
STATEMENTS: StateTable[StatementState, StatementEvent] = StateTable(
    name="statements",
    states=tuple(StatementState),
    events=tuple(StatementEvent),
    initial=_D,
    final=frozenset({_F, _W, _E}),
    transitions=_MOVES,
    refuse=_refuse,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementStatus:
    """Where a statement stands, as :func:`derive` computes it from its records."""

    state: StatementState
    #: The drafts, first to current.
    drafts: tuple[StatementDraft, ...]
    #: Each party whose signature counts (the earliest on the current draft), by party.
    counted: Mapping[str, StatementSignature]
    #: When the k-th party signed (the later of that and ``effective`` is when it applies).
    in_force_at: str | None
    withdrawn_at: str | None

    @property
    def first(self) -> StatementDraft:
        return self.drafts[0]

    @property
    def current(self) -> StatementDraft:
        return self.drafts[-1]

    @property
    def id(self) -> str:
        return self.first.id


def _check_chain(drafts: Sequence[StatementDraft]) -> None:
    if not drafts:
        raise StatementInvalid("a statement has at least one draft")
    if drafts[0].previous is not None:
        raise StatementInvalid("the first draft revises nothing")
    for before, after in itertools.pairwise(drafts):
        if after.previous != before.id:
            raise StatementInvalid(f"draft {after.id} does not revise {before.id}")
        if not before.same_terms(after):
            raise StatementInvalid(
                f"draft {after.id} changes the parties, policy, conference or release"
            )


def derive(
    drafts: Sequence[StatementDraft],
    signatures: Iterable[StatementSignature],
    *,
    now: str,
    withdrawn_at: str | None = None,
) -> StatementStatus:
    """The state of a statement from its drafts (first to current), signatures and withdrawal.

    Only signatures on the current draft count, each party once (its earliest),
    and, when the statement expires, only those made before it expires.
    Signatures are taken as verified (the desk and the audit verify them).
    """
    _check_chain(drafts)
    current = drafts[-1]
    expires = None if current.expires is None else parse_utc(current.expires)
    counted: dict[str, StatementSignature] = {}
    for signature in sorted(signatures, key=lambda s: (s.signed_at, s.person)):
        if signature.draft != current.id or current.party(signature.party) is None:
            continue
        if expires is not None and parse_utc(signature.signed_at) >= expires:
            continue
        counted.setdefault(signature.party, signature)
    times = sorted(parse_utc(s.signed_at) for s in counted.values())
    in_force_at = None
    if len(times) >= current.k:
        in_force_at = next(
            s.signed_at for s in counted.values() if parse_utc(s.signed_at) == times[current.k - 1]
        )
    if withdrawn_at is not None and (
        in_force_at is None or parse_utc(withdrawn_at) < parse_utc(in_force_at)
    ):
        state, in_force_at = _W, None
    elif in_force_at is not None:
        state = _F
    elif expires is not None and parse_utc(now) >= expires:
        state = _E
    else:
        state = _S if counted else _C
    return StatementStatus(
        state=state,
        drafts=tuple(drafts),
        counted=counted,
        in_force_at=in_force_at,
        withdrawn_at=withdrawn_at if state is _W else None,
    )
