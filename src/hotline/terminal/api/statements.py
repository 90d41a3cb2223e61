"""Joint statements over HTTP: the control socket's router (docs/protocol/statements.md).

``GET /statements`` lists them, ``POST /statements`` drafts one in a
conference, ``GET /statements/{id}`` shows one (its state, each party signed
or waiting since when, every draft), ``POST .../revisions`` revises it,
``POST .../signatures`` signs it as a console user (their password unlocks
their key, as for an acknowledgement), ``POST .../withdrawal`` withdraws it and
``GET .../export`` answers the self-contained file (base64) and its printable
HTML. ``{id}`` is the statement's id (its first draft's) or any draft's.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from hotline.crypto import KeyCertificate
from hotline.errors import StatementInvalid
from hotline.store import StatementSignatureRecord
from hotline.terminal.core.joint import StatementSignature, StatementState
from hotline.terminal.daemon import Terminal
from hotline.terminal.desks.accounts.users import authenticate
from hotline.terminal.desks.keys import KeyDesk
from hotline.terminal.desks.statements import StatementDesk
from hotline.terminal.record.statement_audit import (
    audit_statement,
    export_statement,
    statement_html,
)
from hotline.utc import format_utc

__all__ = ["statement_export", "statements_router"]


class StatementCreate(BaseModel):
    conference: str = Field(min_length=1)
    title: str
    texts: dict[str, str]
    authoritative: str | None = None
    policy: int | None = None
    effective: str | None = None
    expires: str | None = None
    #: A marked message this statement releases when in force (markings.md §3).
    releases: str | None = None


class StatementRevision(BaseModel):
    texts: dict[str, str]


class StatementSigner(BaseModel):
    user: str = Field(min_length=1)
    password: str = Field(min_length=1)


async def _terminal(request: Request) -> Terminal:
    terminal: Terminal = request.app.state.terminal
    return terminal


_TerminalDep = Annotated[Terminal, Depends(_terminal)]

statements_router = APIRouter(prefix="/statements", tags=["statements"])


def statement_export(terminal: Terminal, ref: str) -> tuple[bytes, str]:
    """The export file of a statement and its printable HTML (see record/statement_audit)."""
    desk = terminal.desk(StatementDesk)
    drafts, signatures = desk.records(ref)
    status = desk.status(ref)
    peers = [terminal.store.get_peer_by_key(p.key) for p in status.current.parties]
    released = None
    target = status.current.releases
    if target is not None and status.state is StatementState.IN_FORCE:
        # The original marked message goes with its release, once the release is due.
        message = terminal.store.get_message(target.message)
        if message is None or message.envelope_hash.hex() != target.envelope_hash:
            raise StatementInvalid(
                f"this terminal does not hold message {target.message}, which the statement "
                "releases: export it from that message's sender or recipient"
            )
        released = (message.envelope, message.body)
        peers.append(terminal.store.get_peer(message.peer))
    card_texts = [
        terminal.card_json(),
        *sorted({p.card_json for p in peers if p is not None}),
    ]
    data = export_statement(
        [d.payload for d in drafts],
        [
            StatementSignature(
                draft=s.draft,
                party=s.party,
                person=s.person,
                person_key=s.person_key,
                person_sig=s.person_sig,
                signed_at=s.signed_at,
                endorsement=s.endorsement,
                sk=s.sk,
            )
            for s in signatures
        ],
        card_texts,
        released,
        _endorsing_certificates(terminal, signatures),
    )
    audit = audit_statement(data, now=format_utc(terminal.clock.now()))
    return data, statement_html(audit, file_name=f"statement-{status.id[:12]}.hotline")


def _endorsing_certificates(
    terminal: Terminal, signatures: Sequence[StatementSignatureRecord]
) -> list[KeyCertificate]:
    """The certificates of the rotated signing keys that endorsed (``sk``), ours or a peer's."""
    wanted = {(s.party, s.sk) for s in signatures if s.sk is not None}
    if not wanted:
        return []
    tiers = terminal.desk(KeyDesk).tiers
    held = list(tiers.certificates) if tiers is not None else []
    for party in {party for party, _ in wanted}:
        held.extend(
            KeyCertificate.decode(row.certificate)
            for row in terminal.store.peer_key_certificates(party)
            if row.kind == "signing"
        )
    return [c for c in held if c.kind == "signing" and (c.party, c.public_key) in wanted]


@statements_router.get("")
async def list_statements(terminal: _TerminalDep) -> list[dict[str, Any]]:
    """Every statement drafted here or received, oldest first."""
    return [s.to_json() for s in terminal.desk(StatementDesk).list()]


@statements_router.post("", status_code=201)
async def create_statement(body: StatementCreate, terminal: _TerminalDep) -> dict[str, Any]:
    """Draft a statement in a conference: draft 1 goes to every other party."""
    view = terminal.desk(StatementDesk).draft(
        conference=body.conference,
        title=body.title,
        texts=body.texts,
        authoritative=body.authoritative,
        policy=body.policy,
        effective=body.effective,
        expires=body.expires,
        releases=body.releases,
    )
    return view.to_json()


@statements_router.get("/{ref}")
async def get_statement(ref: str, terminal: _TerminalDep) -> dict[str, Any]:
    return terminal.desk(StatementDesk).show(ref).to_json()


@statements_router.post("/{ref}/revisions", status_code=201)
async def revise_statement(
    ref: str, body: StatementRevision, terminal: _TerminalDep
) -> dict[str, Any]:
    return terminal.desk(StatementDesk).revise(ref, texts=body.texts).to_json()


@statements_router.post("/{ref}/signatures", status_code=201)
async def sign_statement(ref: str, body: StatementSigner, terminal: _TerminalDep) -> dict[str, Any]:
    """Sign the current draft as a console user (principal or signatory)."""
    operator = authenticate(terminal.store, body.user, body.password)
    return terminal.desk(StatementDesk).sign(ref, operator).to_json()


@statements_router.post("/{ref}/withdrawal")
async def withdraw_statement(ref: str, terminal: _TerminalDep) -> dict[str, Any]:
    return terminal.desk(StatementDesk).withdraw(ref).to_json()


@statements_router.get("/{ref}/export")
async def get_export(ref: str, terminal: _TerminalDep) -> dict[str, Any]:
    """The self-contained file (base64) and its printable HTML."""
    data, page = statement_export(terminal, ref)
    return {"file": base64.b64encode(data).decode("ascii"), "html": page}
