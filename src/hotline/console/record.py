"""What the Record page shows, and what its export form asks for (docs/protocol/record.md).

The page and ``GET /api/record`` show :func:`~hotline.terminal.record.status.record_status`
as its ``to_json()`` gives it, the shape ``hotline record --json`` prints; the
console adds a ``display`` object beside the raw values (times in the reader's
language, a witness's age in words), never in their place, as for every other
resource (:mod:`hotline.console.views`). Conflicts are listed with their
evidence left out: the signed notes and proofs are for ``hotline export`` and
an auditor, not for a watch officer's screen.

The export form's fields are read here (:class:`ExportRequest`) so that a bad
value is refused, naming the field, before the export reads anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from babel.dates import format_timedelta

from hotline.console.i18n import format_utc_text
from hotline.console.visibility import message_view
from hotline.errors import InvalidArgument, PermissionDenied
from hotline.store import RecordConflictRecord
from hotline.terminal import Operator, Terminal
from hotline.terminal.record.export import export_bundle
from hotline.terminal.record.status import record_status
from hotline.utc import format_utc, parse_utc

__all__ = [
    "CONFLICT_ROWS",
    "EXPORT_MEDIA_TYPE",
    "MAX_EXPORT_IDS",
    "ExportRequest",
    "conflict_view",
    "conflicts_view",
    "export_filename",
    "export_record",
    "record_view",
]

#: How many conflicts the page lists (newest first); the count above it is the whole.
CONFLICT_ROWS = 100
#: How many message ids one export may name (a bundle per message is what a list is for).
MAX_EXPORT_IDS = 10_000
EXPORT_MEDIA_TYPE = "application/json"

# The same forms the CLI's --since/--until take: a stored timestamp, a minute, a second.
_MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?")
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _age_words(seconds: float, language: str) -> str:
    """An age as a watch officer reads it: "5 minutes", "5 минут", "5 menit"."""
    return format_timedelta(timedelta(seconds=seconds), locale=language)


def record_view(terminal: Terminal, *, language: str) -> dict[str, Any]:
    """The record's status (``RecordStatus.to_json()``) with ``display`` values for the reader."""
    status = record_status(terminal.store, terminal.identity, terminal.clock.now())
    view = status.to_json()
    checkpoint = view["checkpoint"]
    if isinstance(checkpoint, dict):
        checkpoint["display"] = {"issued_at": format_utc_text(checkpoint["issued_at"], language)}
    for cosigner, shown in zip(status.cosigners, _rows(view["cosigners"]), strict=True):
        shown["display"] = {
            "cosigned_at": format_utc_text(cosigner.cosigned_at, language),
            "age": _age_words(cosigner.age, language),
        }
    for witnessed in _rows(view["witnessed"]):
        witnessed["display"] = {"cosigned_at": format_utc_text(witnessed["cosigned_at"], language)}
    return view


def _rows(value: object) -> list[dict[str, Any]]:
    assert isinstance(value, list)  # to_json() builds these lists itself
    return value


def conflict_view(conflict: RecordConflictRecord, *, language: str) -> dict[str, Any]:
    """One conflict: whose log, which peer, what kind, when, and the detail; no evidence bytes."""
    return {
        "id": conflict.id,
        "log": conflict.log,
        "peer": conflict.peer,
        "kind": conflict.kind,
        "detected_at": conflict.detected_at,
        "detail": conflict.detail,
        "display": {"detected_at": format_utc_text(conflict.detected_at, language)},
    }


def conflicts_view(terminal: Terminal, *, language: str) -> list[dict[str, Any]]:
    """The newest :data:`CONFLICT_ROWS` conflicts, newest first."""
    return [
        conflict_view(conflict, language=language)
        for conflict in terminal.store.record_conflicts(limit=CONFLICT_ROWS)
    ]


def _moment(field: str, text: str) -> str | None:
    """A UTC time from the form, written as the store writes times (``format_utc``)."""
    text = text.strip()
    if not text:
        return None
    try:
        return format_utc(parse_utc(text))
    except ValueError:
        pass
    if not _MINUTE.fullmatch(text):
        raise InvalidArgument(f"{field} must be a UTC time like 2026-11-23T14:00Z, not {text!r}")
    try:
        moment = datetime.fromisoformat(text.removesuffix("Z").replace(" ", "T"))
    except ValueError as exc:  # well-formed, but no real time (month 13)
        raise InvalidArgument(f"{field} is not a real time: {text!r}: {exc}") from None
    return format_utc(moment.replace(tzinfo=UTC))


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRequest:
    """The export form's fields, checked: peer (None: every peer), period, message ids."""

    peer: str | None
    since: str | None
    until: str | None
    ids: tuple[str, ...]

    @classmethod
    def parse(cls, *, peer: str, since: str, until: str, ids: str) -> ExportRequest:
        """From the form's text; InvalidArgument (422) naming the field for a bad value."""
        wanted = tuple(ids.split())
        if len(wanted) > MAX_EXPORT_IDS:
            raise InvalidArgument(f"ids: at most {MAX_EXPORT_IDS} message ids, not {len(wanted)}")
        return cls(
            peer=peer.strip() or None,
            since=_moment("since", since),
            until=_moment("until", until),
            ids=wanted,
        )

    def form(self) -> dict[str, str]:
        """The values to show again in the form, after a refusal."""
        return {
            "peer": self.peer or "",
            "since": self.since or "",
            "until": self.until or "",
            "ids": "\n".join(self.ids),
        }


def export_filename(party: str, now: datetime) -> str:
    """``Washington-record-20261123T160000Z.json``: who and when, safe in any header."""
    safe = _FILE_UNSAFE.sub("_", party).strip("_") or "hotline"
    return f"{safe}-record-{now.strftime('%Y%m%dT%H%M%SZ')}.json"


def export_record(terminal: Terminal, request: ExportRequest, operator: Operator) -> bytes:
    """The bundle file's bytes, made by the terminal's export (hotline export's own code).

    Nothing is written anywhere: the bytes go to the browser, whole, or a
    HotlineError says why not. A bundle holds each message's plaintext body (an
    auditor checks it against the signed commitment), so one that would hold a
    message on a channel restricted to others is refused (PermissionDenied,
    naming the channels): the reader narrows the selection, or a member exports.
    """
    bundle, _summary = export_bundle(
        terminal.store,
        terminal.identity,
        terminal.card_json(),
        peer=request.peer,
        since=request.since,
        until=request.until,
        ids=request.ids,
    )
    hidden: set[str] = set()
    for message_id in bundle.bodies:
        record = terminal.store.get_message(message_id)
        if record is not None and not message_view(terminal, operator, record).readable:
            hidden.add(record.channel)
    if hidden:
        raise PermissionDenied(
            f"the export would hold messages on channel {', '.join(sorted(hidden))}, restricted "
            f"to its members, which {operator.name} is not: narrow it by peer, time or ids"
        )
    data: bytes = bundle.encode()
    return data
