"""Handling markings: how a message must be handled, carried inside its signed body.

A sender may mark a message EYES ONLY (for named people or a channel's members),
EMBARGOED UNTIL a UTC time, NOT FOR RELEASE, and with one free classification
line agreed for the line. The markings travel in the body under ``"markings"``,
so the body commitment in the signed header covers them: a recipient cannot
strip a marking and show the result as the sender's message. The receiving
console enforces them (docs/protocol/parties.md §4).

This module is the markings' one shape: parsed from what a person typed
(:func:`parse_markings`), written into a body (:meth:`Markings.to_body`), read
back from a stored body (:meth:`Markings.from_body`, :func:`markings_of`).
It also holds the two rules every terminal applies whatever desk a message
goes to: a classification must be one agreed for the line
(:func:`check_classification`, at send), and an incoming message whose
markings map is malformed has its content refused (:func:`screen_incoming`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import cbor2

from hotline.errors import InvalidArgument
from hotline.store import Direction, MessageRecord, Store
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc, parse_utc

__all__ = [
    "CLASSIFICATION_NOT_AGREED",
    "MAX_CLASSIFICATION",
    "Markings",
    "check_classification",
    "classification_agreed",
    "markings_from_json",
    "markings_of",
    "markings_problem",
    "parse_markings",
    "parse_moment",
    "screen_incoming",
]

#: How a message whose classification is not one agreed for the line is flagged.
CLASSIFICATION_NOT_AGREED = "classification not agreed"

#: The longest classification line, in characters.
MAX_CLASSIFICATION = 120
#: Who an eyes-only message is for: a console user's name, or ``channel:<name>``.
_READER = re.compile(r"^(channel:[a-z0-9][a-z0-9_-]{0,31}|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$")
_KEYS = frozenset({"eyes_only", "embargoed_until", "not_for_release", "classification"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Markings:
    """The handling markings of one message; an instance with none set is :attr:`empty`."""

    eyes_only: tuple[str, ...] = ()
    embargoed_until: str | None = None
    not_for_release: bool = False
    classification: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.eyes_only, tuple):
            raise InvalidArgument("eyes-only readers must be a tuple of names")
        for reader in self.eyes_only:
            if not isinstance(reader, str) or not _READER.match(reader):
                raise InvalidArgument(
                    f"eyes-only reader {reader!r} is not a user name (letters, digits, . _ -) "
                    "or channel:<name>"
                )
        if len(set(self.eyes_only)) != len(self.eyes_only):
            raise InvalidArgument("an eyes-only reader is named twice")
        if self.embargoed_until is not None:
            try:
                parse_utc(self.embargoed_until)
            except (TypeError, ValueError) as exc:
                raise InvalidArgument(f"embargoed until: {exc}") from None
        if type(self.not_for_release) is not bool:
            raise InvalidArgument("not-for-release is true or false")
        if self.classification is not None:
            line = self.classification
            if not isinstance(line, str) or not line.strip():
                raise InvalidArgument("the classification line is empty")
            if len(line) > MAX_CLASSIFICATION:
                raise InvalidArgument(
                    f"the classification line is {len(line)} characters; "
                    f"the limit is {MAX_CLASSIFICATION}"
                )
            if line != line.strip() or not line.isprintable():
                raise InvalidArgument(
                    "the classification line must be one printable line, "
                    "without leading or trailing spaces"
                )

    @property
    def empty(self) -> bool:
        """True when no marking is set."""
        return not (
            self.eyes_only
            or self.embargoed_until is not None
            or self.not_for_release
            or self.classification is not None
        )

    def to_body(self) -> dict[str, Any]:
        """The ``"markings"`` map of a body: only the markings that are set."""
        body: dict[str, Any] = {}
        if self.eyes_only:
            body["eyes_only"] = list(self.eyes_only)
        if self.embargoed_until is not None:
            body["embargoed_until"] = self.embargoed_until
        if self.not_for_release:
            body["not_for_release"] = True
        if self.classification is not None:
            body["classification"] = self.classification
        return body

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Markings | None:
        """The markings of a decoded body; None if it has none; InvalidArgument if malformed."""
        found = body.get("markings")
        if found is None:
            return None
        if not isinstance(found, Mapping) or not found:
            raise InvalidArgument("the body's markings must be a non-empty map")
        unknown = set(found) - _KEYS
        if unknown:
            raise InvalidArgument(f"unknown marking {sorted(unknown)[0]!r}")
        readers = found.get("eyes_only", [])
        if not isinstance(readers, list) or ("eyes_only" in found and not readers):
            raise InvalidArgument("eyes_only must be a non-empty list")
        if "not_for_release" in found and found["not_for_release"] is not True:
            raise InvalidArgument("not_for_release is present only as true")
        markings = cls(
            eyes_only=tuple(readers),
            embargoed_until=found.get("embargoed_until"),
            not_for_release=found.get("not_for_release", False),
            classification=found.get("classification"),
        )
        return markings

    def lines(self) -> list[str]:
        """The markings as a reader sees them at the top of a message, one per line."""
        shown: list[str] = []
        if self.classification is not None:
            shown.append(self.classification)
        if self.eyes_only:
            shown.append("EYES ONLY " + ", ".join(self.eyes_only))
        if self.embargoed_until is not None:
            shown.append(f"EMBARGOED UNTIL {self.embargoed_until}")
        if self.not_for_release:
            shown.append("NOT FOR RELEASE")
        return shown


def markings_from_json(found: Mapping[str, Any] | None) -> Markings | None:
    """The markings an API request gave as a JSON map (the body's own keys); None for none.

    InvalidArgument if the map is malformed, as :meth:`Markings.from_body` says.
    """
    if not found:
        return None
    return Markings.from_body({"markings": found})


def parse_markings(
    *,
    eyes_only: Iterable[str] = (),
    embargoed_until: str | None = None,
    not_for_release: bool = False,
    classification: str | None = None,
) -> Markings | None:
    """Markings from what a person gave (CLI options, a form); None when none is set.

    InvalidArgument, naming the marking, for anything that cannot be one.
    """
    markings = Markings(
        eyes_only=tuple(eyes_only),
        embargoed_until=None
        if embargoed_until is None
        else parse_moment(embargoed_until, what="embargoed until"),
        not_for_release=not_for_release,
        classification=classification,
    )
    return None if markings.empty else markings


def parse_moment(text: str, *, what: str) -> str:
    """A time a person typed, in the canonical UTC form; InvalidArgument naming ``what``.

    A person may type "2026-12-01T18:00Z" or "2026-12-01 18:00:00+00:00"; a body
    always holds the one canonical form. A time without a zone is refused:
    guessing the zone of an embargo (or a release) is how it gets broken.
    """
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgument(
            f"{what} {text!r}: not a date and time (e.g. 2026-12-01T18:00Z)"
        ) from None
    if moment.tzinfo is None:
        raise InvalidArgument(f"{what} {text!r}: say the zone (Z for UTC)")
    return format_utc(moment.astimezone(UTC))


def markings_of(record: MessageRecord) -> Markings | None:
    """The markings in a stored message's body; None if it has none or they are malformed.

    A malformed markings map was refused when the message arrived (the inbox
    checks it), so here it can only be a body that never had markings.
    """
    try:
        body = cbor2.loads(record.body)
    except Exception:
        return None
    if not isinstance(body, dict):
        return None
    try:
        return Markings.from_body(body)
    except InvalidArgument:
        return None


def markings_problem(record: MessageRecord) -> str | None:
    """Why a stored message's markings map is malformed; None if it has none, or good ones.

    The console reads this to keep such a message's text hidden: markings it
    cannot read say nothing about who may read the text, so nobody does.
    """
    try:
        body = cbor2.loads(record.body)
    except Exception:
        return None  # not a body a terminal wrote: no markings to speak of
    if not isinstance(body, dict) or "markings" not in body:
        return None
    try:
        Markings.from_body(body)
    except InvalidArgument as exc:
        return str(exc)
    return None


def check_classification(markings: Markings | None, agreed: Sequence[str]) -> None:
    """InvalidArgument, naming the agreed lines, unless the classification is one of them.

    The lines are agreed per line in ``[markings] classifications``; an empty
    list means no classification may be used at all.
    """
    if markings is None or markings.classification is None:
        return
    if not agreed:
        raise InvalidArgument(
            f"classification {markings.classification!r} is not agreed for the line: "
            "no classification is ([markings] classifications is empty)"
        )
    if markings.classification not in agreed:
        raise InvalidArgument(
            f"classification {markings.classification!r} is not agreed for the line; "
            f"the agreed ones are {', '.join(repr(line) for line in agreed)}"
        )


def classification_agreed(markings: Markings | None, agreed: Sequence[str]) -> bool:
    """True unless the markings carry a classification that is not in ``agreed``."""
    return markings is None or markings.classification is None or markings.classification in agreed


def screen_incoming(
    store: Store,
    clock: Clock,
    records: Sequence[MessageRecord],
    *,
    classifications: Sequence[str],
) -> tuple[MessageRecord, ...]:
    """The incoming messages whose content stands, after the markings rules.

    Called once a batch is stored and receipted, before any desk reads it. A
    message whose markings map is malformed has its content refused (journaled
    with the reason, and left out of what desks see): the envelope held, what it
    says cannot be handled as its sender meant. A classification not agreed for
    the line is kept but flagged: journaled here, and shown as
    :data:`CLASSIFICATION_NOT_AGREED` wherever the message is shown.
    """
    standing: list[MessageRecord] = []
    for record in records:
        if record.direction is not Direction.IN:
            standing.append(record)
            continue
        problem = markings_problem(record)
        if problem is not None:
            refuse_content(store, clock, record, what="markings", reason=problem)
            continue
        markings = markings_of(record)
        if not classification_agreed(markings, classifications):
            assert markings is not None
            store.append_journal(
                kind="markings flagged",
                at=format_utc(clock.now()),
                data={
                    "id": record.id,
                    "peer": record.peer,
                    "classification": markings.classification,
                    "flag": CLASSIFICATION_NOT_AGREED,
                },
            )
        standing.append(record)
    return tuple(standing)
