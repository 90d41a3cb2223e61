"""What a console user may see of a marked message: its text or not, and its banner.

A message may carry handling markings in its signed body
(:mod:`hotline.terminal.core.markings`, docs/protocol/markings.md). The
console enforces them for the person reading, on every view of the message
(the traffic list, the message page, its print, the console's JSON):

* **EYES ONLY** names console users, or ``channel:<name>`` for a channel's
  members. Anyone else sees that the message exists (peer, time, precedence,
  channel, state) and its banner, never its text, notification data or meeting:
  those are left out of the HTML and the JSON, not hidden by the page.
* **A malformed markings map** says nothing about who may read, so nobody
  does (the inbox refused its content when it arrived).
* **EMBARGOED UNTIL** does not hide the text: it shows a countdown to the
  embargo's end, live in the page.
* **NOT FOR RELEASE**, the classification, EYES ONLY and EMBARGOED are shown as
  a banner on every view; a classification that is not one agreed for the
  line is flagged "classification not agreed".
* **A release** (hotline.terminal.desks.releases) replaces the banner with
  "RELEASED <time>" once its time has come, shows its public text, and lifts
  every restriction: the message is a public statement.

Channel membership is another part's concern (console/visibility.py);
:func:`marking_view` asks it through ``channel_member`` and, without it, knows
no channel's members, so a ``channel:`` reader admits nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hotline.store import MessageRecord, ReleaseRecord
from hotline.terminal.core import (
    CLASSIFICATION_NOT_AGREED,
    Markings,
    classification_agreed,
    markings_from_json,
    markings_of,
    markings_problem,
)
from hotline.terminal.core.markings import parse_moment
from hotline.utc import parse_utc

__all__ = [
    "EMPTY_MARKING_FORM",
    "ChannelMember",
    "MarkingView",
    "hide_if_unreadable",
    "marking_view",
    "typed_markings",
]

#: ``(channel, user name) -> bool``: whether that console user is a member of that channel.
ChannelMember = Callable[[str, str], bool]

#: What the marking fields of a compose form (templates/_marking_fields.html) hold
#: before anything is typed.
EMPTY_MARKING_FORM: dict[str, Any] = {
    "eyes_only": "",
    "embargoed_until": "",
    "not_for_release": False,
    "classification": "",
}

#: The row keys that carry what a message says (left out when it may not be read).
_CONTENT_KEYS = ("text", "data", "notice", "meeting")


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkingView:
    """How one marked message is shown to one reader at one moment.

    ``readable``: whether the reader may see its text. ``banner_lines``: the
    markings as they head every view (empty for an unmarked message).
    ``embargo_until``/``countdown``: the embargo's end (UTC) and the whole
    seconds left, while it holds. ``released``/``released_at``/``public_text``:
    the release, once its time has come. ``flags``: what is wrong with the
    markings (``classification not agreed``, ``markings malformed``).
    ``hidden_reason``: why the text is withheld (``eyes-only``,
    ``markings-malformed``), None when readable.
    """

    readable: bool
    banner_lines: tuple[str, ...] = ()
    embargo_until: str | None = None
    countdown: int | None = None
    released: bool = False
    released_at: str | None = None
    released_by: str | None = None
    public_text: str | None = None
    flags: tuple[str, ...] = field(default=())
    hidden_reason: str | None = None

    @property
    def marked(self) -> bool:
        return bool(self.banner_lines or self.flags or self.released)

    def to_json(self) -> dict[str, Any]:
        return {
            "marked": self.marked,
            "readable": self.readable,
            "banner": list(self.banner_lines),
            "embargo_until": self.embargo_until,
            "countdown": self.countdown,
            "released": self.released,
            "released_at": self.released_at,
            "released_by": self.released_by,
            "public_text": self.public_text,
            "flags": list(self.flags),
            "hidden_reason": self.hidden_reason,
        }


def marking_view(
    record: MessageRecord,
    reader: str,
    now: datetime,
    *,
    release: ReleaseRecord | None = None,
    agreed: Sequence[str] | None = None,
    channel_member: ChannelMember | None = None,
) -> MarkingView:
    """How ``record`` is shown to the console user named ``reader`` at ``now``.

    ``release``: the message's release, if any (it counts from its time on);
    ``agreed``: the line's agreed classifications (None: not checked);
    ``channel_member``: the channel check (None: no channel's members known).
    """
    problem = markings_problem(record)
    if problem is not None:
        return MarkingView(
            readable=False,
            banner_lines=("MARKINGS MALFORMED: CONTENT REFUSED",),
            flags=("markings malformed",),
            hidden_reason="markings-malformed",
        )
    markings = markings_of(record)
    if release is not None and parse_utc(release.released_at) <= now:
        return MarkingView(
            readable=True,
            banner_lines=(f"RELEASED {release.released_at}",),
            released=True,
            released_at=release.released_at,
            released_by=release.released_by,
            public_text=release.public_text,
        )
    if markings is None:
        return MarkingView(readable=True)
    flags: tuple[str, ...] = ()
    if agreed is not None and not classification_agreed(markings, agreed):
        flags = (CLASSIFICATION_NOT_AGREED,)
    readable = not markings.eyes_only or _may_read(reader, markings.eyes_only, channel_member)
    embargo_until, countdown = None, None
    if markings.embargoed_until is not None:
        left = (parse_utc(markings.embargoed_until) - now).total_seconds()
        if left > 0:
            embargo_until, countdown = markings.embargoed_until, int(left + 0.999)
    return MarkingView(
        readable=readable,
        banner_lines=tuple(markings.lines()),
        embargo_until=embargo_until,
        countdown=countdown,
        flags=flags,
        hidden_reason=None if readable else "eyes-only",
    )


def _may_read(reader: str, eyes_only: Sequence[str], channel_member: ChannelMember | None) -> bool:
    for named in eyes_only:
        if named.startswith("channel:"):
            if channel_member is not None and channel_member(
                named.removeprefix("channel:"), reader
            ):
                return True
        elif named == reader:
            return True
    return False


def hide_if_unreadable(row: dict[str, Any], view: MarkingView) -> dict[str, Any]:
    """``row`` (a message as the console shows it) with its ``marking``, content left out if unreadable.

    The content keys are emptied here, before any template or JSON encoder sees
    the row, so the text cannot reach the reader's browser by any route.
    """
    shown = {**row, "marking": view.to_json()}
    if not view.readable:
        for key in _CONTENT_KEYS:
            if key in shown:
                shown[key] = "" if key == "text" else None
        if shown.get("format") is not None:
            shown["format_version"] = None
    return shown


def typed_markings(found: Mapping[str, Any] | None) -> Markings | None:
    """The markings a console request gave (the body's own keys), the embargo as typed.

    As :func:`~hotline.terminal.core.markings_from_json`, except that the
    embargo may be written as a person writes a time ("2026-12-01T18:00Z"):
    it is put in the canonical form here, and refused, naming it, when it has
    no zone or is no time. A canonical time passes unchanged.
    """
    embargo = found.get("embargoed_until") if found else None
    if found and isinstance(embargo, str):
        found = {**found, "embargoed_until": parse_moment(embargo, what="embargoed until")}
    return markings_from_json(found)
