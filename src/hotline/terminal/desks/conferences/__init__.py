"""Conferences: a standing group of parties, convened by one, that every member writes to."""

from __future__ import annotations

from hotline.terminal.desks.conferences.desk import TOPIC, ConferenceDesk
from hotline.terminal.desks.conferences.roster import (
    CONFERENCE_KIND,
    Conference,
    MemberView,
    Roster,
    RosterMember,
    check_name,
)

__all__ = [
    "CONFERENCE_KIND",
    "TOPIC",
    "Conference",
    "ConferenceDesk",
    "MemberView",
    "Roster",
    "RosterMember",
    "check_name",
]
