"""Joint statements: one text in several languages, signed by several parties' people."""

from __future__ import annotations

from hotline.terminal.desks.statements.desk import STATEMENT_KIND, TOPIC, StatementDesk
from hotline.terminal.desks.statements.view import PartyView, StatementView, statement_view

__all__ = [
    "STATEMENT_KIND",
    "TOPIC",
    "PartyView",
    "StatementDesk",
    "StatementView",
    "statement_view",
]
