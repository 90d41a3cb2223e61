"""Key revocation in process: the desk's refusals, the peer's checks, and the forgery refused.

The forgery test stands for the issue's "revoke a leaked signing key — a
message forged with it afterwards is refused and alarmed". Revoking a
signing key needs signing-key rotation (the current key cannot be revoked),
so Washington's own revocation of its *current* signing key is queued as a
key event directly, as a thief-proof master would sign it; Washington then
plays the forger who holds the leaked key, with a clock two days behind, so
its envelopes claim a time before the compromise (backdated).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.cli.cmd_key import run_list
from hotline.crypto import Envelope, KeyRevocation, SoftwareSigner, revoke_key
from hotline.errors import InvalidArgument
from hotline.store import Direction, MessageState, PeerKeyRevocation
from hotline.terminal import Terminal, TerminalPaths
from hotline.terminal.config.revocations import pending_revocation, read_revocations
from hotline.terminal.config.setup import open_terminal
from hotline.terminal.core.revocations import RevokedKeys, signed_after_compromise
from hotline.terminal.desks.keys import KEY_EVENT_KIND, KeyDesk, read_revocation_event
from hotline.terminal.record.audit import audit_bundle
from hotline.terminal.record.bundle import Bundle
from hotline.terminal.record.export import export_bundle
from hotline.terminal.record.verify import VerifyReport, verify_store
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import FAST_LINK, make_pair, refusals, wait_until

START = datetime(2026, 12, 2, 6, tzinfo=UTC)
BEHIND = START - timedelta(days=2)


def _texts(terminal: Terminal, peer: str, direction: Direction) -> list[str]:
    return [m.text for m in terminal.store.iter_messages(peer=peer, direction=direction)]


def _revocation(terminal: Terminal, kind: str, public_key: bytes, since: datetime) -> KeyRevocation:
    tiers = terminal.desk(KeyDesk).tiers
    assert tiers is not None
    return revoke_key(
        master=tiers.master,
        party=terminal.settings.party,
        kind=kind,
        public_key=public_key,
        compromised_since=int(since.timestamp()),
        revoked_at=int(START.timestamp()),
        reason="signing.key copied from a backup",
    )


def _queue(washington: Terminal, revocation: KeyRevocation) -> None:
    washington.outbox.queue(
        peer=washington.store.get_peer("Moscow"),  # type: ignore[arg-type]
        text="KEY REVOKED",
        kind=KEY_EVENT_KIND,
        extra_body={"op": "revoke", "revocation": revocation.encode()},
    )
    washington.lines["Moscow"].wake()


async def _revoked_at_moscow(
    washington: Terminal, moscow: Terminal, kind: str, public_key: bytes, since: datetime
) -> KeyRevocation:
    """Washington's revocation of a key, its key event queued directly (the desk refuses
    a current key), once Moscow holds it."""
    revocation = _revocation(washington, kind, public_key, since)
    _queue(washington, revocation)
    await wait_until(
        lambda: bool(moscow.store.peer_key_revocations("Washington")),
        what="Moscow keeps the revocation",
    )
    return revocation


def test_a_message_signed_by_a_revoked_key_is_refused_journaled_and_alarmed(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock(BEHIND))
        moscow = Terminal.open(moscow_dir, clock=virtual_clock(START))
        await washington.start()
        await moscow.start()
        try:
            before = washington.send_text(to="Moscow", text="before the revocation").id
            await wait_until(
                lambda: "before the revocation" in _texts(moscow, "Washington", Direction.IN),
                what="a message from before the revocation",
            )
            revocation = await _revoked_at_moscow(
                washington,
                moscow,
                "signing",
                washington.identity.signing_public,
                START - timedelta(days=1),
            )
            [held] = moscow.store.peer_key_revocations("Washington")
            assert held.revocation == revocation.encode()
            [alarm] = moscow.alarms.open_of_kind("key-revoked")
            assert revocation.key_id in alarm.detail
            assert "signing.key copied from a backup" in alarm.detail
            journaled = [e for e in moscow.store.iter_journal() if e.kind == "peer key revoked"]
            assert [e.data["key_id"] for e in journaled] == [revocation.key_id]

            # The forger holds the leaked key; its clock claims two days ago.
            forged = washington.send_text(to="Moscow", text="forged after the revocation").id
            await wait_until(
                lambda: bool(moscow.alarms.open_of_kind("revoked-key-used")),
                what="Moscow's revoked-key-used alarm",
            )
            [used] = moscow.alarms.open_of_kind("revoked-key-used")
            assert revocation.key_id in used.detail
            assert "backdated forgery" in used.detail
            refused = [
                r
                for r in refusals(moscow.store)
                if r.data["error"] == "KeyRevoked" and r.data["what"] == "envelope"
            ]
            assert refused
            assert revocation.key_id in refused[0].data["reason"]
            # Nothing stored in the inbox, no receipt: the message is not delivered.
            assert "forged after the revocation" not in _texts(moscow, "Washington", Direction.IN)
            # What arrived before the revocation stays.
            assert "before the revocation" in _texts(moscow, "Washington", Direction.IN)
            states = {
                m.id: m.state
                for m in washington.store.iter_messages(peer="Moscow", direction=Direction.OUT)
            }
            assert states[before] is MessageState.DELIVERED
            assert states[forged] is not MessageState.DELIVERED
            # Moscow's own message reaches Washington, but the receipt is signed by the
            # revoked key: refused, so nothing is marked delivered on its word.
            asked = moscow.send_text(to="Washington", text="are you there?").id
            await wait_until(
                lambda: any(
                    r.data["what"] == "receipt" and r.data["error"] == "KeyRevoked"
                    for r in refusals(moscow.store)
                ),
                what="Moscow refuses a receipt signed by the revoked key",
            )
            assert washington.store.get_message(asked) is not None
            stored = moscow.store.get_message(asked)
            assert stored is not None
            assert stored.state is not MessageState.DELIVERED
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_revoked_keys_refuse_every_use_and_tell_a_backdated_one(tmp_path: Path) -> None:
    _, moscow_dir = make_pair(tmp_path)
    key = b"\x01" * 32
    item = PeerKeyRevocation(
        party="Washington",
        key_id="signing-0102",
        kind="signing",
        public_key=key,
        compromised_since=int(START.timestamp()),
        revocation=b"\xa0",
        received_at="2026-12-02T07:00:00.000000Z",
    )
    files = open_terminal(moscow_dir)
    try:
        revoked = RevokedKeys(files.store)
        assert revoked.revoked_key_problem("Washington", key, START) is None
        files.store.add_peer_key_revocation(item)
        # Cached per peer: a revocation stored after the first look is told with add().
        assert revoked.revoked_key_problem("Washington", key, START) is None
        revoked.add(item)
        assert RevokedKeys(files.store).revoked("Washington") == (item,)
        assert revoked.revoked_key_problem("Moscow", key, START) is None
        assert revoked.revoked_key_problem("Washington", b"\x02" * 32, START) is None
        after = revoked.revoked_key_problem("Washington", key, "2026-12-02T06:00:00.000000Z")
        assert after is not None
        assert "at or after its compromise" in after
        backdated = revoked.revoked_key_problem("Washington", key, BEHIND)
        assert backdated is not None
        assert "backdated forgery" in backdated
        unreadable = revoked.revoked_key_problem("Washington", key, "yesterday")
        assert unreadable is not None
        # For kept records: before the compromise stays good, at or after is flagged.
        assert signed_after_compromise([item], key, BEHIND) is None
        assert signed_after_compromise([item], key, START) == item
        assert signed_after_compromise([item], b"\x02" * 32, START) is None

    finally:
        files.store.close()


def test_the_desk_refuses_what_cannot_be_revoked(tmp_path: Path) -> None:
    washington_dir, _ = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock(START))
        await washington.start()
        try:
            desk = washington.desk(KeyDesk)
            tiers = desk.tiers
            assert tiers is not None
            [tls] = [c for c in tiers.current() if c.kind == "tls"]
            with pytest.raises(InvalidArgument, match=tls.key_id):
                desk.revoke("tls-0000", reason="leaked")
            with pytest.raises(InvalidArgument, match="master-key change"):
                desk.revoke("master", reason="leaked")
            # Refused before anything rotates.
            with pytest.raises(InvalidArgument, match="in the future"):
                desk.revoke(tls.key_id, reason="x", compromised_since=START + timedelta(days=1))
            with pytest.raises(InvalidArgument, match="reason"):
                desk.revoke(tls.key_id, reason="bad\x1b[2Jtext")
            assert desk.tiers.current() == tiers.current()  # type: ignore[union-attr]
            # The current TLS key: rotated first, then revoked, in one step.
            sent = desk.revoke(tls.key_id, reason="leaked")
            [rotated] = sent.rotated
            assert (rotated.kind, rotated.serial) == ("tls", 2)
            assert not sent.pending
            assert sent.revocation.key_id == tls.key_id
            assert sent.revocation.compromised_since == int(START.timestamp())
            assert sent.announced_to == ("Moscow",)
            with pytest.raises(InvalidArgument, match="revoked already"):
                desk.revoke(tls.key_id, reason="leaked")
            assert read_revocations(TerminalPaths(washington_dir)) == (sent.revocation,)
            kinds = [e.kind for e in washington.store.iter_journal()]
            assert kinds.index("key rotated") < kinds.index("key revoked")
        finally:
            await washington.stop()

    run_virtual(main())


def test_the_signing_key_in_use_is_revoked_after_the_switch_to_a_new_one(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock(START))
        moscow = Terminal.open(moscow_dir, clock=virtual_clock(START))
        await washington.start()
        try:
            desk = washington.desk(KeyDesk)
            tiers = desk.tiers
            assert tiers is not None
            [old] = [c for c in tiers.current() if c.kind == "signing"]
            before = [washington.send_text(to="Moscow", text=f"before {n}").id for n in range(3)]
            # Moscow is down: the switch waits for its receipt, and so does the revocation.
            sent = desk.revoke(
                old.key_id, reason="copied", compromised_since=START - timedelta(hours=1)
            )
            [new] = sent.rotated
            assert (new.kind, new.serial) == ("signing", 2)
            assert sent.pending
            assert sent.announced_to == ()
            paths = TerminalPaths(washington_dir)
            assert read_revocations(paths) == ()
            assert pending_revocation(paths) == sent.revocation
            assert washington.identity.signer_public == old.public_key
            listed = io.StringIO()
            with contextlib.redirect_stdout(listed):
                run_list(argparse.Namespace(directory=washington_dir, json=True))
            states = {k["id"]: k["state"] for k in json.loads(listed.getvalue())["keys"]}
            assert states[old.key_id] == "revocation pending"
            with pytest.raises(InvalidArgument, match="signs nothing yet"):
                desk.revoke(new.key_id, reason="x")
            with pytest.raises(InvalidArgument, match="waits for the switch"):
                desk.revoke(old.key_id, reason="x")
            await moscow.start()
            await wait_until(
                lambda: bool(moscow.store.peer_key_revocations("Washington")),
                what="Moscow keeps the revocation",
            )
            assert washington.identity.signer_public == new.public_key
            assert read_revocations(paths) == (sent.revocation,)
            assert pending_revocation(paths) is None
            after = [washington.send_text(to="Moscow", text=f"after {n}").id for n in range(3)]
            await wait_until(
                lambda: all(
                    (m := washington.store.get_message(i)) is not None
                    and m.state is MessageState.DELIVERED
                    for i in before + after
                ),
                what="every message delivered",
            )
            # Each once, in order, the two key events between them.
            assert [
                t
                for t in _texts(moscow, "Washington", Direction.IN)
                if t.startswith(("before", "after"))
            ] == [
                *(f"before {n}" for n in range(3)),
                *(f"after {n}" for n in range(3)),
            ]
            # Nothing the revoked key signed after its revocation reached Moscow.
            assert not moscow.alarms.open_of_kind("revoked-key-used")
            assert not [r for r in refusals(moscow.store) if r.data["error"] == "KeyRevoked"]
            kinds = [e.kind for e in washington.store.iter_journal()]
            assert (
                kinds.index("key rotated")
                < kinds.index("key revocation pending")
                < kinds.index("signing key switched")
                < kinds.index("key revoked")
            )
            # The revocation's key event is signed by the new key.
            [event] = [
                m
                for m in washington.store.iter_messages(peer="Moscow", direction=Direction.OUT)
                if m.kind == KEY_EVENT_KIND and "KEY REVOKED" in m.text
            ]
            assert Envelope.decode(event.envelope).header.signer == new.public_key
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_read_revocation_event_checks_party_and_master() -> None:
    master = SoftwareSigner(Ed25519PrivateKey.generate())
    made = revoke_key(
        master=master,
        party="Washington",
        kind="tls",
        public_key=SoftwareSigner(Ed25519PrivateKey.generate()).public_key,
        compromised_since=0,
        revoked_at=10,
        reason="leaked",
    )
    body = {"op": "revoke", "revocation": made.encode()}
    assert read_revocation_event(body, party="Washington", master=master.public_key) == made
    with pytest.raises(InvalidArgument, match="not 'Moscow'"):
        read_revocation_event(body, party="Moscow", master=master.public_key)
    with pytest.raises(InvalidArgument, match="master key as pinned"):
        read_revocation_event(body, party="Washington", master=b"\x09" * 32)
    for bad in ({"op": "revoke"}, {"op": "revoke", "revocation": b"junk"}, {"op": "rotate"}):
        with pytest.raises(InvalidArgument):
            read_revocation_event(bad, party="Washington", master=master.public_key)


def test_a_tls_key_revoked_is_refused_at_the_next_handshake(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock(START))
        moscow = Terminal.open(moscow_dir, clock=virtual_clock(START))
        await washington.start()
        await moscow.start()
        try:
            tiers = washington.desk(KeyDesk).tiers
            assert tiers is not None
            [tls] = [c for c in tiers.current() if c.kind == "tls"]
            # Its current TLS key, revoked by a key event queued directly (the
            # desk would ask to rotate it first): the open session runs on.
            first = await _revoked_at_moscow(washington, moscow, "tls", tls.public_key, START)
            assert not moscow.alarms.open_of_kind("revoked-key-used")
            # A second revocation of the key, moving its time: refused, the first stands.
            _queue(
                washington,
                _revocation(washington, "tls", tls.public_key, START - timedelta(days=9)),
            )
            await wait_until(
                lambda: any("revoked already" in r.data["reason"] for r in refusals(moscow.store)),
                what="Moscow refuses a second revocation of the key",
            )
            [held] = moscow.store.peer_key_revocations("Washington")
            assert held.revocation == first.encode()
        finally:
            await washington.stop()
        # Washington again, still on the revoked TLS key: Moscow refuses the session.
        washington = Terminal.open(washington_dir, clock=virtual_clock(START))
        await washington.start()
        try:
            await wait_until(
                lambda: bool(moscow.alarms.open_of_kind("revoked-key-used")),
                what="Moscow refuses the revoked TLS key",
            )
            [used] = moscow.alarms.open_of_kind("revoked-key-used")
            assert f"TLS handshake signed by Washington's revoked key {tls.key_id}" in used.detail
            refused = [r for r in refusals(moscow.store) if r.data["what"] == "connection"]
            assert any(tls.key_id in r.data["reason"] for r in refused)
            assert moscow.status().peers[0].state != "up"
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_link_tests_checkpoints_and_cosignatures_by_a_revoked_key_are_refused(
    tmp_path: Path,
) -> None:
    """The one resolution of a peer's signing key refuses a revoked key for every use.

    Washington plays the thief who holds its leaked key (revoked at Moscow by a key
    event queued directly, as in the forgery test): its link tests, the receipts
    it gives Moscow's, its checkpoints and its cosignatures are each refused,
    journaled and alarmed at Moscow.
    """
    link = replace(FAST_LINK, test_interval=5, test_deadline=2)
    washington_dir, moscow_dir = make_pair(tmp_path, link=link)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock(START))
        moscow = Terminal.open(moscow_dir, clock=virtual_clock(START))
        await washington.start()
        await moscow.start()
        try:
            revocation = await _revoked_at_moscow(
                washington,
                moscow,
                "signing",
                washington.identity.signing_public,
                START - timedelta(days=1),
            )
            # What Moscow held of Washington's signatures when the revocation arrived.
            cosigned = moscow.store.latest_cosignatures().get("Washington")
            witnessed = moscow.store.latest_witnessed("Washington")
            [held] = moscow.store.peer_key_revocations("Washington")
            uses = {"link test", "link test receipt", "checkpoint", "cosignature"}

            def refused_uses() -> set[str]:
                return {
                    str(r.data["what"])
                    for r in refusals(moscow.store)
                    if r.data["error"] == "KeyRevoked"
                }

            await wait_until(lambda: uses <= refused_uses(), within=60, what="every use refused")
            for entry in refusals(moscow.store):
                if entry.data["what"] in uses:
                    assert revocation.key_id in entry.data["reason"]
            [alarm] = moscow.alarms.open_of_kind("revoked-key-used")
            assert revocation.key_id in alarm.detail
            # Nothing the revoked key signed since counts: no cosignature of Moscow's
            # record kept, no checkpoint of Washington's cosigned, no test passed.
            assert moscow.store.latest_cosignatures().get("Washington") == cosigned
            assert moscow.store.latest_witnessed("Washington") == witnessed
            passed = [
                e
                for e in moscow.store.iter_journal()
                if e.kind == "link test passed" and e.at > held.received_at
            ]
            assert not passed
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_verify_and_audit_flag_what_was_signed_after_the_compromise(tmp_path: Path) -> None:
    """As the product allows: Washington rotates its signing key, then revokes the old one.

    Compromised a day ago: what the old key signed since (a message, and the
    rotation's key event it signed before the switch) was kept by Moscow before
    the revocation, and is flagged; the new key's cosignatures carry on.
    """
    washington_dir, moscow_dir = make_pair(tmp_path)
    out: dict[str, object] = {}

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock(START))
        moscow = Terminal.open(moscow_dir, clock=virtual_clock(START))
        await washington.start()
        await moscow.start()
        try:
            before = washington.send_text(to="Moscow", text="received before the revocation").id
            await wait_until(
                lambda: moscow.store.get_message(before) is not None,
                what="the message received",
            )
            desk = washington.desk(KeyDesk)
            old = washington.identity.signer_public
            [new] = desk.rotate("signing").certificates
            await wait_until(
                lambda: washington.identity.signer_public == new.public_key,
                what="the switch to the new signing key",
            )
            tiers = desk.tiers
            assert tiers is not None
            [old_certificate] = [c for c in tiers.certificates if c.public_key == old]
            sent = desk.revoke(
                old_certificate.key_id,
                reason="signing.key copied from a backup",
                compromised_since=START - timedelta(days=1),
            )
            await wait_until(
                lambda: bool(moscow.store.peer_key_revocations("Washington")),
                what="Moscow keeps the revocation",
            )
            after = washington.send_text(to="Moscow", text="signed by the new key").id

            def cosigned() -> bool:
                cosignature = moscow.store.latest_cosignatures().get("Washington")
                return cosignature is not None and cosignature.size == moscow.store.journal_size()

            await wait_until(cosigned, within=60, what="Moscow's record cosigned to its end")
            assert moscow.store.get_message(after) is not None
            assert not moscow.alarms.open_of_kind("revoked-key-used")
            bundle, _ = export_bundle(
                moscow.store, moscow.identity, moscow.card_json(), peer="Washington"
            )
            out["bundle"] = bundle.encode()
            out["before"] = before
            out["after"] = after
            out["key_id"] = sent.revocation.key_id
            report = verify_store(moscow.store, moscow.identity)
            assert report.ok, report.summary()
            out["verify"] = report
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())
    verified = out["verify"]
    assert isinstance(verified, VerifyReport)
    # The message, and the rotation's key event the old key signed before the switch;
    # nothing the new key signed.
    assert len(verified.revoked) == 2
    [flag] = [line for line in verified.revoked if str(out["before"]) in line]
    assert str(out["key_id"]) in flag
    assert not [line for line in verified.revoked if str(out["after"]) in line]
    assert "FLAGGED" in verified.summary()
    assert "all hold" in verified.summary()
    encoded = out["bundle"]
    assert isinstance(encoded, bytes)
    audited = audit_bundle(Bundle.decode(encoded))
    assert audited.ok, audited.fault
    assert len(audited.flagged) == 2
    [flagged] = [line for line in audited.flagged if str(out["before"]) in line]
    assert str(out["key_id"]) in flagged
    assert not [line for line in audited.flagged if str(out["after"]) in line]
    assert any(line.startswith("FLAGGED: ") for line in audited.lines())


def test_a_revocation_waiting_for_its_switch_is_finished_after_a_restart(tmp_path: Path) -> None:
    """Stopped before the switch: the next start rotates again if need be, then announces it."""
    washington_dir, moscow_dir = make_pair(tmp_path)
    paths = TerminalPaths(washington_dir)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock(START))
        await washington.start()
        try:
            desk = washington.desk(KeyDesk)
            old = washington.identity.signer_public
            tiers = desk.tiers
            assert tiers is not None
            [certificate] = [c for c in tiers.certificates if c.public_key == old]
            sent = desk.revoke(certificate.key_id, reason="copied")
            assert sent.pending
        finally:
            await washington.stop()
        assert pending_revocation(paths) == sent.revocation
        washington = Terminal.open(washington_dir, clock=virtual_clock(START))
        moscow = Terminal.open(moscow_dir, clock=virtual_clock(START))
        await washington.start()
        await moscow.start()
        try:
            await wait_until(
                lambda: bool(moscow.store.peer_key_revocations("Washington")),
                within=60,
                what="Moscow keeps the revocation",
            )
            assert washington.identity.signer_public != old
            assert read_revocations(paths) == (sent.revocation,)
            assert pending_revocation(paths) is None
            late = washington.send_text(to="Moscow", text="after the restart").id
            await wait_until(
                lambda: moscow.store.get_message(late) is not None, what="a message after it"
            )
            assert not moscow.alarms.open_of_kind("revoked-key-used")
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())
