"""Joint statements between three in-process terminals under virtual time (docs/protocol/statements.md).

Washington, London and Paris share a conference. A statement drafted by one
reaches the others byte for byte; a revision makes earlier signatures stop
counting; the statement is in force on all three at once when the policy is
met, counted by distinct parties; withdrawal and expiry follow the table.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import cbor2
import pytest

from hotline.errors import PermissionDenied, ReleaseRefused, StatementInvalid, UnknownMessage
from hotline.terminal import Terminal
from hotline.terminal.api.statements import statement_export
from hotline.terminal.core.joint import StatementSignature
from hotline.terminal.core.markings import Markings
from hotline.terminal.core.operators import Operator
from hotline.terminal.core.outbox import decode_body
from hotline.terminal.desks.accounts.users import authenticate, create_user
from hotline.terminal.desks.conferences import ConferenceDesk
from hotline.terminal.desks.releases import ReleaseDesk
from hotline.terminal.desks.statements import StatementDesk
from hotline.terminal.record.statement_audit import MAGIC, audit_statement
from hotline.testing import run_virtual, virtual_clock
from hotline.utc import format_utc

from ...helpers import make_mesh, refusals, wait_until

PARTIES = ("Washington", "London", "Paris")
TEXTS = {
    "en": "The three governments call for restraint.",
    "fr": "Les trois gouvernements appellent à la retenue.",
}


@contextlib.asynccontextmanager
async def running(directories: dict[str, Path]) -> AsyncIterator[dict[str, Terminal]]:
    terminals: dict[str, Terminal] = {}
    try:
        for party, directory in directories.items():
            terminals[party] = Terminal.open(directory, clock=virtual_clock())
            await terminals[party].start()
        yield terminals
    finally:
        for terminal in terminals.values():
            await terminal.stop()


def desk(terminal: Terminal) -> StatementDesk:
    return terminal.desk(StatementDesk)


def person(terminal: Terminal, name: str, role: str = "principal") -> Operator:
    create_user(terminal.store, terminal.clock, name=name, role=role, password="correct horse 1")
    return authenticate(terminal.store, name, "correct horse 1")


async def convened(t: dict[str, Terminal]) -> str:
    conference = t["Washington"].desk(ConferenceDesk).convene("quint", ["London", "Paris"])
    await wait_until(
        lambda: all(x.store.get_conference(conference.id) is not None for x in t.values()),
        what="the roster to reach every party",
    )
    return conference.id


def states(t: dict[str, Terminal], statement: str) -> dict[str, str]:
    found = {}
    for party, terminal in t.items():
        try:
            found[party] = desk(terminal).show(statement).state
        except Exception:
            found[party] = "absent"
    return found


def test_draft_revise_sign_in_force_on_all_three(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            await convened(t)
            people = {party: person(t[party], f"p-{party.lower()}") for party in PARTIES}
            drafted = desk(t["Washington"]).draft(
                conference="quint", title="Joint statement", texts=TEXTS
            )
            statement = drafted.id
            assert drafted.state == "circulating"
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "circulating"),
                what="the draft everywhere",
            )
            # Every party holds the very bytes drafted.
            first = t["Washington"].store.statement_drafts(statement)[0]
            for party in PARTIES:
                assert t[party].store.statement_drafts(statement)[0].payload == first.payload

            # London signs draft 1, then Paris revises: London's signature no longer counts.
            desk(t["London"]).sign(statement, people["London"])
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "signed"),
                what="London's signature everywhere",
            )
            revised = desk(t["Paris"]).revise(
                statement, texts={"fr": "Les trois gouvernements appellent au calme."}
            )
            assert revised.state == "circulating"
            assert revised.to_json()["current"] != statement
            await wait_until(
                lambda: (
                    all(
                        desk(x).show(statement).to_json()["current"] == revised.to_json()["current"]
                        for x in t.values()
                        if x.store.statement_drafts(statement)
                    )
                    and states(t, statement) == dict.fromkeys(PARTIES, "circulating")
                ),
                what="the revision everywhere",
            )
            london = {p.party: p.signed for p in desk(t["Washington"]).show(statement).parties}
            assert london == dict.fromkeys(PARTIES, False)

            for party in PARTIES:
                desk(t[party]).sign(statement, people[party])
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "in-force"),
                what="in force on all three",
            )
            shown = [desk(t[party]).show(statement).to_json() for party in PARTIES]
            for key in ("state", "current", "in_force_at", "signed", "texts"):
                assert len({repr(s[key]) for s in shown}) == 1, key
            for party in PARTIES:
                kinds = [e.kind for e in t[party].store.iter_journal()]
                for kind in (
                    "statement drafted",
                    "statement revised",
                    "statement signed",
                    "statement in force",
                ):
                    assert kind in kinds, (party, kind)
                assert t[party].store.statement_outcome(statement) is not None
                assert not [
                    r for r in refusals(t[party].store) if r.data.get("what") == "statement"
                ]
            with pytest.raises(StatementInvalid):
                desk(t["Washington"]).revise(statement, texts={"en": "too late"})
            with pytest.raises(StatementInvalid):
                desk(t["Washington"]).withdraw(statement)

    run_virtual(main())


def test_one_party_signing_twice_counts_once(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            await convened(t)
            statement = (
                desk(t["Washington"])
                .draft(conference="quint", title="Two of three", texts={"en": "Text."}, policy=2)
                .id
            )
            await wait_until(lambda: "absent" not in states(t, statement).values(), what="draft")
            desk(t["London"]).sign(statement, person(t["London"], "minister"))
            desk(t["London"]).sign(statement, person(t["London"], "deputy", role="signatory"))
            await wait_until(
                lambda: len(t["Paris"].store.statement_signatures(statement)) == 2,
                what="both London signatures at Paris",
            )
            for party in PARTIES:
                view = desk(t[party]).show(statement)
                assert view.state == "signed", party
                assert view.to_json()["signed"] == 1
            with pytest.raises(StatementInvalid, match="signed this draft already"):
                desk(t["London"]).sign(
                    statement, authenticate(t["London"].store, "minister", "correct horse 1")
                )
            with pytest.raises(PermissionDenied):
                desk(t["Paris"]).sign(statement, person(t["Paris"], "clerk", role="operator"))
            desk(t["Paris"]).sign(statement, person(t["Paris"], "minister"))
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "in-force"), what="in force"
            )

    run_virtual(main())


def test_a_forged_signature_is_refused_and_withdrawal_ends_it(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            await convened(t)
            statement = (
                desk(t["Washington"])
                .draft(conference="quint", title="Withdrawn", texts={"en": "Text."})
                .id
            )
            await wait_until(lambda: "absent" not in states(t, statement).values(), what="draft")
            with pytest.raises(StatementInvalid, match="only its drafter"):
                desk(t["London"]).withdraw(statement)
            desk(t["Washington"]).withdraw(statement)
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "withdrawn"),
                what="withdrawn",
            )
            with pytest.raises(StatementInvalid):
                desk(t["Paris"]).sign(statement, person(t["Paris"], "minister"))
            for party in PARTIES:
                assert "statement withdrawn" in [e.kind for e in t[party].store.iter_journal()]

    run_virtual(main())


def test_expiry_before_the_policy_is_met(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            await convened(t)
            now = t["Washington"].clock.now()
            expires = format_utc(now + timedelta(seconds=60))
            statement = (
                desk(t["Washington"])
                .draft(conference="quint", title="Expiring", texts={"en": "Text."}, expires=expires)
                .id
            )
            await wait_until(lambda: "absent" not in states(t, statement).values(), what="draft")
            await wait_until(
                lambda: (
                    states(t, statement) == dict.fromkeys(PARTIES, "expired")
                    and all(x.store.statement_outcome(statement) is not None for x in t.values())
                ),
                within=120,
                what="expired everywhere",
            )
            for party in PARTIES:
                outcome = t[party].store.statement_outcome(statement)
                assert outcome is not None
                assert (outcome.outcome, outcome.at) == ("expired", expires)

    run_virtual(main())


def test_signature_bytes_verify_and_tamper_fails(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            await convened(t)
            statement = (
                desk(t["Washington"]).draft(conference="quint", title="T", texts={"en": "x"}).id
            )
            desk(t["Washington"]).sign(statement, person(t["Washington"], "president"))
            [record] = t["Washington"].store.statement_signatures(statement)
            status = desk(t["Washington"]).status(statement)
            signature = StatementSignature(
                draft=record.draft,
                party=record.party,
                person=record.person,
                person_key=record.person_key,
                person_sig=record.person_sig,
                signed_at=record.signed_at,
                endorsement=record.endorsement,
            )
            signature.verify(status.current)
            with pytest.raises(StatementInvalid, match="endorsement"):
                dataclasses.replace(signature, person="someone else").verify(status.current)

    run_virtual(main())


def test_a_statement_in_force_releases_the_marked_message_on_every_holder(tmp_path: Path) -> None:
    """Washington's secret directive is released by the joint statement, once per copy held."""
    directories = make_mesh(tmp_path, list(PARTIES))

    async def main() -> None:
        async with running(directories) as t:
            conference = await convened(t)
            people = {party: person(t[party], f"p-{party.lower()}") for party in PARTIES}
            sent = t["Washington"].send_group(
                to=["London", "Paris"],
                text="Stand down the carrier group.",
                conference=conference,
                markings=Markings(eyes_only=("p-london", "p-paris"), not_for_release=True),
            )
            copies = {c.peer: c for c in sent.records}
            plain = t["Washington"].send_text(to="London", text="unmarked")
            await wait_until(
                lambda: all(
                    x.store.get_message(c.id) is not None
                    for c in sent.records
                    for x in (t[c.peer],)
                ),
                what="the directive at London and Paris",
            )
            # Only a marked message this side may release can be named.
            with pytest.raises(ReleaseRefused):
                desk(t["Washington"]).draft(
                    conference="quint", title="T", texts=TEXTS, releases=plain.id
                )
            with pytest.raises(ReleaseRefused, match="only its sender"):
                desk(t["London"]).draft(
                    conference="quint", title="T", texts=TEXTS, releases=copies["London"].id
                )
            with pytest.raises(UnknownMessage):
                desk(t["Washington"]).draft(
                    conference="quint", title="T", texts=TEXTS, releases="no-such-message"
                )

            drafted = desk(t["Washington"]).draft(
                conference="quint",
                title="Joint statement on the carrier group",
                texts=TEXTS,
                authoritative="fr",
                releases=copies["London"].id,
            )
            statement = drafted.id
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "circulating"),
                what="the draft everywhere",
            )
            # Nothing is released before the statement is in force; a revision keeps the link.
            assert all(x.store.release_of(c.id) is None for x in t.values() for c in sent.records)
            desk(t["Paris"]).revise(statement, texts={"en": "The governments call for calm."})
            await wait_until(
                lambda: all(len(x.store.statement_drafts(statement)) == 2 for x in t.values()),
                what="the revision everywhere",
            )
            for party in PARTIES:
                desk(t[party]).sign(statement, people[party])
            await wait_until(
                lambda: states(t, statement) == dict.fromkeys(PARTIES, "in-force"),
                what="in force on all three",
            )
            in_force_at = desk(t["Washington"]).show(statement).to_json()["in_force_at"]
            held = {
                "Washington": [copies["London"].id, copies["Paris"].id],
                "London": [copies["London"].id],
                "Paris": [copies["Paris"].id],
            }
            await wait_until(
                lambda: all(
                    t[party].store.release_of(i) is not None
                    for party, ids in held.items()
                    for i in ids
                ),
                what="the release on every holder",
            )
            for party, ids in held.items():
                store = t[party].store
                for message_id in ids:
                    release = store.release_of(message_id)
                    assert release is not None, (party, message_id)
                    assert release.released_by == "Washington"
                    assert release.released_at == in_force_at
                    assert release.public_text == TEXTS["fr"]  # the authoritative text
                released = [
                    e.data["id"] for e in store.iter_journal() if e.kind == "message released"
                ]
                assert sorted(released) == sorted(ids), party  # exactly once per copy
            # Each release message is the usual one, naming the statement that made it.
            for message_id in held["Washington"]:
                release = t["Washington"].store.release_of(message_id)
                assert release is not None
                carrier = t["Washington"].store.get_message(release.release_id)
                assert carrier is not None
                assert carrier.kind == "release"
                assert decode_body(carrier.body)["statement"] == statement
            # A later release message for a copy released by the statement is refused.
            with pytest.raises(ReleaseRefused, match="already released"):
                t["Washington"].desk(ReleaseDesk).release(copies["London"].id)
            assert not [
                r for x in t.values() for r in refusals(x.store) if r.data["what"] == "statement"
            ]

            # The export carries the original marked message; the audit prints both.
            for party in ("Washington", "London"):
                data, page = statement_export(t[party], statement)
                audit = audit_statement(data, now=format_utc(t[party].clock.now()))
                assert audit.fault is None, audit.fault
                assert audit.released is not None
                assert audit.released.sender == "Washington"
                assert audit.released.recipient == "London"
                assert audit.released.text == "Stand down the carrier group."
                shown = "\n".join(audit.lines())
                assert f"RELEASES marked message {copies['London'].id}" in shown
                assert "EYES ONLY" in shown.upper()
                assert "Stand down the carrier group." in shown
                # The printable page shows it under each language's text.
                for needle in (
                    f'data-released="{copies["London"].id}"',
                    f"<td>{audit.released.time_group}</td>",
                    "<td>Washington</td><td>London</td>",
                    f"as of {in_force_at} (UTC)",
                    "Stand down the carrier group.</blockquote>",
                ):
                    assert page.count(needle) == len(TEXTS), needle
            # Paris holds another copy, not the one the statement names: it cannot export it.
            with pytest.raises(StatementInvalid, match="does not hold message"):
                statement_export(t["Paris"], statement)
            # Any change to the released message is refused.
            document = cbor2.loads(data[len(MAGIC) :])
            for part in ("envelope", "body"):
                tampered = dict(document)
                raw = bytearray(document["released"][part])
                raw[-3] ^= 1
                tampered["released"] = {**document["released"], part: bytes(raw)}
                forged = MAGIC + cbor2.dumps(tampered, canonical=True)
                assert audit_statement(forged, now=format_utc(t["London"].clock.now())).fault
            dropped = {k: v for k, v in document.items() if k != "released"}
            fault = audit_statement(
                MAGIC + cbor2.dumps(dropped, canonical=True),
                now=format_utc(t["London"].clock.now()),
            ).fault
            assert fault is not None
            assert "does not hold" in fault

    run_virtual(main())
