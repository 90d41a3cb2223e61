"""Conferences over HTTP: the control socket's router and the one JSON shape of a conference.

:func:`conference_json` is what ``GET /conferences/{name or id}`` answers and
what the console's conference page reads: the conference (roster, version,
convener, each member's answer and missing links) and its recent messages as a
grid of per-recipient states, with the slowest recipient named.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from hotline.crypto import DEFAULT_CHANNEL, Precedence
from hotline.store import Direction
from hotline.terminal.api.models import Group
from hotline.terminal.daemon import Terminal
from hotline.terminal.desks.conferences import CONFERENCE_KIND, Conference, ConferenceDesk

__all__ = ["conference_grid", "conference_json", "conferences_router"]

#: A cell's states that mean the recipient has not yet got (or not yet read) it.
_PENDING = frozenset({"queued", "sent"})


def conference_grid(
    terminal: Terminal, conference: Conference, *, limit: int = 20
) -> dict[str, Any]:
    """The conference's recent messages (newest first) by its parties, and the slowest party.

    A row we sent has a cell per recipient (queued, sent, delivered or
    acknowledged, and overdue); a row we received has the sender and our own
    cell only: the other copies are on other terminals. Roster messages are
    left out: they are the roster, shown above the grid.
    """
    rows: list[dict[str, Any]] = []
    for group_id in terminal.desk(ConferenceDesk).group_ids(conference.id, limit=limit * 2):
        links = terminal.store.group_members(group_id)
        records = [
            found
            for found in (terminal.store.get_message(link.message_id) for link in links)
            if found is not None
        ]
        if not records or records[0].kind == CONFERENCE_KIND:
            continue
        first = records[0]
        cells: dict[str, dict[str, Any]] = {}
        if first.direction is Direction.OUT:
            for state in terminal.recipient_states([first])[0]:
                cells[state.party] = state.to_json()
            sender = terminal.party
        else:
            sender = first.peer
            cells[terminal.party] = {
                "party": terminal.party,
                "id": first.id,
                "serial": first.serial,
                "state": "delivered",
                "delivered_at": first.created_at,
                "acknowledged_by": None,
                "acknowledged_at": None,
                "overdue": False,
            }
        rows.append(
            {
                "group": group_id,
                "payload_hash": links[0].payload_hash.hex(),
                "from": sender,
                "direction": str(first.direction),
                "sent_at": first.sent_at,
                "time_group": first.time_group,
                "precedence": first.precedence,
                "channel": first.channel,
                "kind": first.kind,
                "cells": cells,
            }
        )
        if len(rows) == limit:
            break
    pending: dict[str, int] = {}
    for row in rows:
        for party, cell in row["cells"].items():
            if cell["state"] in _PENDING or cell["overdue"]:
                pending[party] = pending.get(party, 0) + 1
    slowest = max(pending.items(), key=lambda item: (item[1], item[0]), default=None)
    return {
        "parties": [m.party for m in conference.members],
        "messages": rows,
        "slowest": None if slowest is None else {"party": slowest[0], "pending": slowest[1]},
    }


def conference_json(
    terminal: Terminal, conference: Conference, *, limit: int = 20
) -> dict[str, Any]:
    """The conference with its grid (see :func:`conference_grid`)."""
    return {**conference.to_json(), "grid": conference_grid(terminal, conference, limit=limit)}


# -- the control socket's router ------------------------------------------------


class ConferenceCreate(BaseModel):
    name: str
    parties: list[str]


class ConferenceParty(BaseModel):
    party: str = Field(min_length=1)


class ConferenceMessage(BaseModel):
    text: str
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL
    markings: dict[str, Any] | None = None


async def _terminal(request: Request) -> Terminal:
    terminal: Terminal = request.app.state.terminal
    return terminal


_TerminalDep = Annotated[Terminal, Depends(_terminal)]

conferences_router = APIRouter(prefix="/conferences", tags=["conferences"])


@conferences_router.get("")
async def list_conferences(terminal: _TerminalDep) -> list[dict[str, Any]]:
    """Every conference convened here or naming us, oldest first (no grid)."""
    return [c.to_json() for c in terminal.desk(ConferenceDesk).list()]


@conferences_router.post("", status_code=201)
async def create_conference(body: ConferenceCreate, terminal: _TerminalDep) -> dict[str, Any]:
    """Convene a conference: its first roster goes to every party named."""
    conference = terminal.desk(ConferenceDesk).convene(body.name, body.parties)
    return conference_json(terminal, conference)


@conferences_router.get("/{ref}")
async def get_conference(
    ref: str, terminal: _TerminalDep, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> dict[str, Any]:
    """One conference by name or id, with its recent messages as a grid."""
    conference = terminal.desk(ConferenceDesk).show(ref)
    return conference_json(terminal, conference, limit=limit)


@conferences_router.post("/{ref}/parties", status_code=201)
async def add_party(ref: str, body: ConferenceParty, terminal: _TerminalDep) -> dict[str, Any]:
    """Add a party: a new roster version to every member."""
    return conference_json(terminal, terminal.desk(ConferenceDesk).add_party(ref, body.party))


@conferences_router.delete("/{ref}/parties/{party}")
async def remove_party(ref: str, party: str, terminal: _TerminalDep) -> dict[str, Any]:
    """Remove a party: a new roster version to every member, the removed one too."""
    return conference_json(terminal, terminal.desk(ConferenceDesk).remove_party(ref, party))


@conferences_router.post("/{ref}/messages", status_code=201)
async def send_to_conference(ref: str, body: ConferenceMessage, terminal: _TerminalDep) -> Group:
    """One payload to every other member; refused while a member refused the roster."""
    # The top module holds the Group shape and the markings' JSON form.
    from hotline.terminal.control import group_json
    from hotline.terminal.core.markings import markings_from_json

    group = terminal.desk(ConferenceDesk).send(
        ref,
        text=body.text,
        precedence=body.precedence,
        channel=body.channel,
        markings=markings_from_json(body.markings),
    )
    return group_json(terminal, group)
