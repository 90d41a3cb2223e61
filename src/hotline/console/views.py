"""What the console shows, as JSON: the line, the traffic, calls, alarms and shift notes.

The pages and the JSON API show the same values, built here from the
terminal's public API, so a view refreshed live by ``console.js`` and the page
first rendered by the server can never disagree. Each value carries its raw
form (ids, RFC 3339 UTC times, states) for scripts and tests, and a
``display`` form formatted for the reader's language (:mod:`hotline.console.i18n`).

Traffic order: FLASH messages first, then newest first. The traffic view shows
what people wrote (kinds ``text`` and ``notification``); link tests, alarms
and the acknowledgements that travel as messages show up where they belong
(the line view, and the acknowledged message's state).

A message, a peer's line and an alarm have the shape both HTTP APIs share
(:mod:`hotline.terminal.api.models`: the same keys and raw values as the
control API's); the console adds keys beside them, never in their place, and
writes the raw times for the reader under ``display``.

Each row also carries what silence and formats add (docs/protocol/acknowledgements.md
section 6, docs/formats.md): the acknowledgement deadline and whether it has
passed (``overdue``, a flag beside the state, never instead of it); for a
notification, its format's title and summary in the reader's language
(``notice``); for a meeting proposal or reply, where the meeting stands
(``meeting``, the same on both sides).

A refused notification's problems (:func:`problems_json`) are shown in the
reader's language, each beside the field its path names, with the English and
the problem's code and params for scripts.

Calls and presence requests are shown as the terminal's own JSON
(``call_json``, ``live_view``, ``presence_json``: the same shape the CLI
prints) with a ``display`` object added: their times and duration for the
reader's language.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from hotline.console.i18n import format_utc_text
from hotline.console.marking_view import ChannelMember, hide_if_unreadable, marking_view
from hotline.console.notices import meeting_of, meeting_view, notice_view
from hotline.crypto import PeerCard, Precedence
from hotline.errors import NotificationInvalid
from hotline.formats import problem_json
from hotline.store import (
    AckRecord,
    AlarmRecord,
    Direction,
    MeetingRecord,
    MessageRecord,
    ReleaseRecord,
    ShiftNoteRecord,
)
from hotline.terminal import PeerStatus, RouteStatus, Terminal
from hotline.terminal.api.models import Alarm, Message, Peer
from hotline.terminal.core import ACKNOWLEDGEABLE_KINDS, PeerLine, verify_note
from hotline.terminal.desks.channels import ChannelDesk
from hotline.terminal.desks.deadlines import DeadlineWatch

__all__ = [
    "SPARKLINE_HEIGHT",
    "SPARKLINE_SPAN",
    "SPARKLINE_WIDTH",
    "TRAFFIC_KINDS",
    "alarm_view",
    "call_view",
    "format_duration",
    "message_row",
    "message_state",
    "note_view",
    "presence_view",
    "problems_json",
    "sparkline",
    "status_view",
    "terminal_row",
    "traffic",
]

#: The kinds of message the traffic view lists: what people wrote.
TRAFFIC_KINDS = ACKNOWLEDGEABLE_KINDS
#: The sparkline covers the last hour, drawn in a box of this many user units.
SPARKLINE_SPAN = 3600.0
SPARKLINE_WIDTH = 120
SPARKLINE_HEIGHT = 24


def _moment(at: str | None, language: str) -> dict[str, str] | None:
    if at is None:
        return None
    return {"at": at, "display": format_utc_text(at, language) or at}


def _display(at: str | None, language: str) -> str | None:
    return None if at is None else format_utc_text(at, language) or at


def message_state(record: MessageRecord, ack: AckRecord | None) -> str:
    """``queued``, ``sent``, ``delivered`` or ``acknowledged`` (by a person, either way)."""
    if ack is not None:
        return "acknowledged"
    return str(record.state)


def _meeting_now(record: MessageRecord, meeting: MeetingRecord | None) -> dict[str, Any] | None:
    """A proposal's data as its accepted replies have left it; None for any other message."""
    if meeting is None or meeting.proposal_id != record.id:
        return None
    data = json.loads(meeting.data)
    return data if isinstance(data, dict) else None


def message_row(
    record: MessageRecord,
    *,
    ack: AckRecord | None,
    line_state: str | None,
    language: str,
    deadline: str | None = None,
    overdue: bool = False,
    meeting: MeetingRecord | None = None,
    release: ReleaseRecord | None = None,
) -> dict[str, Any]:
    """One message as the traffic view and the API show it.

    ``deadline`` is its acknowledgement deadline (UTC text) and ``overdue``
    whether it passed unacknowledged; ``meeting`` the meeting it proposes or
    answers. :func:`terminal_row` finds all three.
    """
    if record.direction is Direction.OUT:
        steps = [
            ("queued", record.created_at),
            ("sent", record.transmitted_at),
            ("delivered", record.delivered_at),
        ]
    else:
        # The peer's send time, then ours: the receipt's time is when we stored it.
        steps = [("sent", record.sent_at), ("received", record.delivered_at)]
    steps.append(("acknowledged", ack.at if ack is not None else None))
    times = []
    for step, at in steps:
        moment = _moment(at, language)
        if moment is not None:
            times.append({"state": step, **moment})
    message = Message.of(record, ack=ack, deadline=deadline, overdue=overdue, release=release)
    return {
        **message.model_dump(mode="json"),
        "line_state": line_state,
        "times": times,
        "acknowledgement": None
        if ack is None
        else {"by": ack.by, **(_moment(ack.at, language) or {}), "direction": ack.direction},
        "notice": notice_view(record, language=language, current=_meeting_now(record, meeting)),
        "meeting": None if meeting is None else meeting_view(meeting, language=language),
        "display": {
            "sent_at": _display(record.sent_at, language),
            "ack_deadline": _display(deadline, language),
        },
    }


def terminal_row(
    terminal: Terminal,
    record: MessageRecord,
    *,
    ack: AckRecord | None,
    language: str,
    meetings: dict[str, MeetingRecord] | None = None,
    reader: str | None = None,
    releases: dict[str, ReleaseRecord] | None = None,
) -> dict[str, Any]:
    """:func:`message_row` with the line, deadline and meeting the terminal knows of.

    ``meetings`` (by proposal id) saves reading them once per row in a list, as
    ``releases`` (by message id) does the releases. ``reader``: the console user
    the row is for; its handling markings are applied for them
    (:mod:`hotline.console.marking_view`: the ``marking`` key, and the content
    left out where they may not read it).
    """
    if meetings is None:
        meetings = {m.proposal_id: m for m in terminal.store.list_meetings()}
    release = terminal.store.release_of(record.id) if releases is None else releases.get(record.id)
    line = terminal.lines.get(record.peer)
    row = message_row(
        record,
        ack=ack,
        line_state=None if line is None else str(line.state),
        language=language,
        deadline=terminal.desk(DeadlineWatch).deadline_of(record),
        overdue=terminal.desk(DeadlineWatch).is_overdue(record.id),
        meeting=meeting_of(record, meetings),
        release=release,
    )
    view = marking_view(
        record,
        reader or "",
        terminal.clock.now(),
        release=release,
        agreed=terminal.settings.markings.classifications
        if record.direction is Direction.IN
        else None,
        channel_member=_channel_member(terminal),
    )
    return hide_if_unreadable(row, view)


def _channel_member(terminal: Terminal) -> ChannelMember:
    """EYES ONLY ``channel:NAME`` admits that configured channel's members, and nobody for a
    channel without members (an unconfigured channel is open, which eyes-only must not be)."""
    channels = terminal.desk(ChannelDesk)

    def member(channel: str, user: str) -> bool:
        return channels.is_restricted(channel) and channels.may_read(user, channel)

    return member


def _flash_first(
    records: Sequence[MessageRecord], acknowledged: Collection[str] = ()
) -> list[MessageRecord]:
    """FLASH that still waits for its acknowledgement first, then newest first.

    An acknowledged FLASH has been dealt with: it goes back among the rest by its
    time rather than staying pinned above newer traffic for ever.
    """

    def waiting_flash(record: MessageRecord) -> bool:
        return record.precedence == Precedence.FLASH.value and record.id not in acknowledged

    # sorted() is stable: within each group the store's newest-first order stays.
    return sorted(records, key=lambda record: not waiting_flash(record))


def traffic(
    terminal: Terminal, *, limit: int, language: str, reader: str | None = None
) -> list[dict[str, Any]]:
    """The newest ``limit`` messages people wrote, FLASH first, then newest first.

    ``reader``: the console user they are shown to (markings applied for them).
    """
    # Acknowledgements and alarm messages share the table: read a wider window,
    # then keep the traffic kinds (bounded, so a view never scans everything).
    window = terminal.store.list_messages(limit=min(limit * 4, 4000))
    records = [record for record in window if record.kind in TRAFFIC_KINDS][:limit]
    acks = terminal.store.acknowledgements([record.id for record in records])
    meetings = {meeting.proposal_id: meeting for meeting in terminal.store.list_meetings()}
    releases = terminal.store.releases([record.id for record in records])
    return [
        terminal_row(
            terminal,
            record,
            ack=acks.get(record.id),
            language=language,
            meetings=meetings,
            reader=reader,
            releases=releases,
        )
        for record in _flash_first(records, acks.keys())
    ]


def sparkline(
    history: Sequence[tuple[float, float | None]],
    *,
    now: float,
    span: float = SPARKLINE_SPAN,
    width: int = SPARKLINE_WIDTH,
    height: int = SPARKLINE_HEIGHT,
) -> dict[str, Any]:
    """An SVG path of round-trip times over the last ``span`` seconds (gaps where down).

    ``history`` is ``(UTC epoch seconds, RTT in ms or None)``, oldest first. The
    path is scaled so the largest RTT in view touches the top; x is time.
    """
    start = now - span
    points = [(at, rtt) for at, rtt in history if start <= at <= now]
    values = [rtt for _, rtt in points if rtt is not None]
    peak = max(values, default=0.0)
    segments: list[list[str]] = []
    pen_down = False
    for at, rtt in points:
        if rtt is None:
            pen_down = False  # the route was down: a gap, not a line to zero
            continue
        x = (at - start) / span * width
        y = height - 1 - (rtt / peak * (height - 2) if peak > 0 else 0.0)
        if not pen_down:
            segments.append([])
        segments[-1].append(f"{'L' if pen_down else 'M'}{x:.1f},{y:.1f}")
        pen_down = True
    # A lone sample would draw nothing: give it a dash one unit long.
    commands = [
        part for segment in segments for part in (segment if len(segment) > 1 else [*segment, "h1"])
    ]
    return {
        "path": "".join(commands),
        "max_ms": round(peak, 2) if values else None,
        "samples": len(values),
        "width": width,
        "height": height,
    }


def _route_view(
    view: dict[str, Any],
    route: RouteStatus,
    *,
    now: float,
    language: str,
    peer_tested_at: str | None = None,
) -> dict[str, Any]:
    """The shared route shape (``view``) with its sparkline, its last test's time for the
    reader, and when the peer's own test last arrived on it (``peer_test``)."""
    test = view["last_test"]
    if test is not None:
        test = {**test, "display": _display(test["at"], language)}
    return {
        **view,
        "last_test": test,
        "peer_test": _moment(peer_tested_at, language),
        "sparkline": sparkline(route.rtt_history, now=now),
    }


def _peer_view(
    peer: PeerStatus,
    *,
    timezone: str | None,
    now: float,
    language: str,
    line: PeerLine | None = None,
) -> dict[str, Any]:
    view = Peer.of(peer).model_dump(mode="json")
    routes = {} if line is None else line.routes
    return {
        **view,
        "timezone": timezone,
        # The route carrying traffic now, as console.js has always named it (``address``).
        "carrier": peer.address,
        # The routes are the listening side's addresses (docs/protocol/delivery.md section 4):
        # on the side that listens they are our own, and the page says so.
        "we_dial": True if line is None else line.we_dial,
        "routes": [
            _route_view(
                shown,
                route,
                now=now,
                language=language,
                peer_tested_at=routes[route.address].peer_tested_at
                if route.address in routes
                else None,
            )
            for shown, route in zip(view["routes"], peer.routes, strict=True)
        ],
        "display": {
            "last_contact": _display(peer.last_contact, language),
            "last_used": _display(peer.last_used, language),
        },
    }


def alarm_view(alarm: AlarmRecord, *, language: str) -> dict[str, Any]:
    """The shared alarm shape, whether it was acknowledged, and its times for the reader."""
    return {
        **Alarm.of(alarm).model_dump(mode="json"),
        "acknowledged": alarm.acknowledged_at is not None,
        "display": {
            "since": _display(alarm.since, language),
            "acknowledged_at": _display(alarm.acknowledged_at, language),
        },
    }


def status_view(terminal: Terminal, *, language: str) -> dict[str, Any]:
    """The line to every peer, route by route, and the open alarms."""
    status = terminal.status()
    zones = {peer.party: peer.timezone for peer in terminal.store.list_peers()}
    now = terminal.clock.now().timestamp()
    alarms = [alarm_view(alarm, language=language) for alarm in status.alarms]
    return {
        "party": status.party,
        "fingerprint": status.fingerprint,
        "timezone": terminal.settings.timezone,
        "exercise": terminal.settings.exercise,
        "peers": [
            _peer_view(
                peer,
                timezone=zones.get(peer.party),
                now=now,
                language=language,
                line=terminal.lines.get(peer.party),
            )
            for peer in status.peers
        ],
        "alarms": alarms,
        "unacknowledged_alarms": sum(1 for alarm in alarms if not alarm["acknowledged"]),
        "keys": status.keys,
        "trust": trust_view(terminal, language=language),
    }


def trust_view(terminal: Terminal, *, language: str) -> list[dict[str, Any]]:
    """Per peer: its fingerprint, its newest recorded check of that fingerprint, or its removal."""
    confirmations = terminal.store.peer_confirmations()
    removals = terminal.store.peer_removals()
    # A master change awaiting its fingerprint check blocks the line (docs/keys.md §7b).
    pending = {c.party: c for c in terminal.store.peer_master_changes() if c.pending}
    rows = []
    for peer in terminal.store.list_peers():
        checks = [
            c for c in confirmations if c.party == peer.party and c.fingerprint == peer.fingerprint
        ]
        last = checks[-1] if checks else None
        removal = removals.get(peer.party)
        rows.append(
            {
                "party": peer.party,
                "fingerprint": peer.fingerprint,
                "confirmed": None
                if last is None
                else {
                    "by": last.confirmed_by,
                    "method": last.method,
                    "display": _display(last.confirmed_at, language),
                },
                "removed": None if removal is None else _display(removal.removed_at, language),
                "blocked": None
                if peer.party not in pending
                else {
                    "display": _display(pending[peer.party].received_at, language),
                    "fingerprint": PeerCard.from_json(pending[peer.party].card_json).fingerprint,
                },
            }
        )
    return rows


def note_view(note: ShiftNoteRecord, *, language: str) -> dict[str, Any]:
    """A handover note, with whether its author's signature verifies."""
    return {
        "id": note.id,
        "author": note.author,
        "text": note.text,
        **(_moment(note.at, language) or {}),
        "verified": verify_note(note),
    }


# -- calls and presence requests ------------------------------------------------


def format_duration(seconds: float | None) -> str | None:
    """``12:03`` or ``1:05:09`` (hours, minutes, seconds: the same in every language)."""
    if seconds is None:
        return None
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def call_view(call: Mapping[str, Any], *, language: str) -> dict[str, Any]:
    """A call as the terminal shows it (``call_json`` or ``live_view``), times for the reader."""
    return {
        **call,
        "display": {
            "requested_at": format_utc_text(call.get("requested_at"), language),
            "answered_at": format_utc_text(call.get("answered_at"), language),
            "ended_at": format_utc_text(call.get("ended_at"), language),
            "duration": format_duration(call.get("duration")),
        },
    }


def presence_view(request: Mapping[str, Any], *, language: str) -> dict[str, Any]:
    """A presence request (``presence_json``), its times for the reader."""
    return {
        **request,
        "display": {
            "requested_at": format_utc_text(request.get("requested_at"), language),
            "answered_at": format_utc_text(request.get("answered_at"), language),
        },
    }


def problems_json(exc: NotificationInvalid, *, language: str) -> list[dict[str, Any]]:
    """Every problem of ``exc`` for the API, rendered in ``language``.

    Each is ``{"path", "code", "params", "message"}`` as the control socket
    gives it (the message in the reader's language), plus ``field`` (the path)
    and ``detail`` (the English) that the notify form has always read.
    """
    return [
        {**problem_json(problem, language), "field": problem.path, "detail": problem.message}
        for problem in exc.problems
    ]
