"""Export and audit over real stores: two terminals talk, acknowledge, cosign; the bundle is checked.

The stores are made once per module by running two terminals in-process over
loopback (virtual time): messages both ways, some acknowledged by a person on
each side, checkpoints cosigned. Every test then works on exported bundles:
the untouched ones audit clean, and each kind of tampering is named.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.crypto import PeerCard
from hotline.errors import BundleInvalid, NotCosigned, UnknownPeer
from hotline.store import Direction
from hotline.terminal import Terminal, open_terminal
from hotline.terminal.desks.accounts import authenticate, create_user
from hotline.terminal.desks.acks import AckDesk
from hotline.terminal.record.audit import audit_bundle
from hotline.terminal.record.bundle import Bundle, BundleConflict, BundleEntry, Selection, jcs
from hotline.terminal.record.export import export_bundle
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_pair, wait_until

PASSWORD = "correct horse battery"
PER_SIDE = 12
ACKED = 4


@dataclass(frozen=True)
class Exchange:
    washington_dir: Path
    moscow_dir: Path
    washington_card: PeerCard
    moscow_card: PeerCard
    #: Washington's whole record, and its line to Moscow.
    whole: bytes
    line: bytes
    moscow_line: bytes
    #: Message ids sent by Washington (first ACKED acknowledged by Moscow), and by Moscow.
    sent_by_washington: tuple[str, ...]
    sent_by_moscow: tuple[str, ...]
    checkpoint_size: int


def _exchange(root: Path) -> Exchange:
    washington_dir, moscow_dir = make_pair(root)
    out: dict[str, Any] = {}

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            for terminal in (washington, moscow):
                create_user(
                    terminal.store, terminal.clock, name="duty", role="operator", password=PASSWORD
                )
            w_sent = [
                washington.send_text(to="Moscow", text=f"Washington {n}: line\nsecond line").id
                for n in range(PER_SIDE)
            ]
            m_sent = [
                moscow.send_text(to="Washington", text=f"Moscow {n}").id for n in range(PER_SIDE)
            ]
            await wait_until(
                lambda: (
                    all(moscow.store.get_message(i) for i in w_sent)
                    and all(washington.store.get_message(i) for i in m_sent)
                ),
                within=30,
                what="every message delivered",
            )
            for terminal, ids in ((moscow, w_sent), (washington, m_sent)):
                operator = authenticate(terminal.store, "duty", PASSWORD)
                for message_id in ids[:ACKED]:
                    terminal.desk(AckDesk).acknowledge(message_id, operator)
            await wait_until(
                lambda: (
                    len(washington.store.acknowledgements(w_sent)) == ACKED
                    and len(moscow.store.acknowledgements(m_sent)) == ACKED
                ),
                within=30,
                what="acknowledgements back",
            )

            def cosigned(log: Terminal, witness: str) -> bool:
                cosignature = log.store.latest_cosignatures().get(witness)
                return cosignature is not None and cosignature.size == log.store.journal_size()

            await wait_until(
                lambda: cosigned(washington, "Moscow") and cosigned(moscow, "Washington"),
                within=60,
                what="both records cosigned to their ends",
            )
            card = washington.card_json()
            whole, _ = export_bundle(washington.store, washington.identity, card)
            line, _ = export_bundle(washington.store, washington.identity, card, peer="Moscow")
            moscow_line, _ = export_bundle(
                moscow.store, moscow.identity, moscow.card_json(), peer="Washington"
            )
            out.update(
                whole=whole.encode(),
                line=line.encode(),
                moscow_line=moscow_line.encode(),
                w_sent=tuple(w_sent),
                m_sent=tuple(m_sent),
                size=washington.store.latest_cosignatures()["Moscow"].size,
                washington_card=PeerCard.from_json(card),
                moscow_card=PeerCard.from_json(moscow.card_json()),
            )
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())
    return Exchange(
        washington_dir=washington_dir,
        moscow_dir=moscow_dir,
        washington_card=out["washington_card"],
        moscow_card=out["moscow_card"],
        whole=out["whole"],
        line=out["line"],
        moscow_line=out["moscow_line"],
        sent_by_washington=out["w_sent"],
        sent_by_moscow=out["m_sent"],
        checkpoint_size=out["size"],
    )


@pytest.fixture(scope="module")
def exchange(tmp_path_factory: pytest.TempPathFactory) -> Exchange:
    return _exchange(tmp_path_factory.mktemp("record-export"))


def _fault(data: bytes, pinned: tuple[PeerCard, ...] = ()) -> str:
    """The audit's fault for ``data`` (a malformed bundle counts); '' if everything holds."""
    try:
        bundle = Bundle.decode(data)
    except BundleInvalid as exc:
        return f"malformed: {exc}"
    return audit_bundle(bundle, pinned).fault or ""


def _edit(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The bundle with its JSON document changed, re-serialised canonically (signature kept)."""
    document = json.loads(data)
    change(document)
    return (
        json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        + b"\n"
    )


def _resigned(data: bytes, change: Callable[[Bundle], Bundle], exchange: Exchange) -> bytes:
    """The bundle changed and signed again by its exporter: only the inner checks can catch it."""
    from hotline.crypto import Identity

    bundle = change(Bundle.decode(data))
    directory = (
        exchange.washington_dir if bundle.exported_by == "Washington" else exchange.moscow_dir
    )
    files = open_terminal(directory)
    try:
        identity: Identity = files.identity
    finally:
        files.store.close()
    return replace(bundle, signature=identity.sign(bundle.signed_bytes())).encode()


# -- what holds ----------------------------------------------------------------


def test_each_sides_export_of_the_line_audits_and_lists_every_message(exchange: Exchange) -> None:
    for data, exporter in ((exchange.line, "Washington"), (exchange.moscow_line, "Moscow")):
        report = audit_bundle(Bundle.decode(data))
        assert report.fault is None
        assert report.exporter == exporter
        ids = {m.id for m in report.messages if m.kind == "text"}
        assert ids == set(exchange.sent_by_washington) | set(exchange.sent_by_moscow)
        acks = [m for m in report.messages if m.kind == "ack"]
        assert len(acks) == 2 * ACKED
        for m in report.messages:
            assert m.committed
            assert m.received_at is not None
        first = next(m for m in report.messages if m.id == exchange.sent_by_washington[0])
        assert (first.sender, first.recipient, first.serial) == ("Washington", "Moscow", 1)
        assert first.text == "Washington 0: line\nsecond line"
        assert "salt" not in first.data
        assert first.acknowledged is not None
        assert first.acknowledged.by == "duty"
        last = next(m for m in report.messages if m.id == exchange.sent_by_washington[-1])
        assert last.acknowledged is None
        assert report.from_bundle == ("Moscow", "Washington")
        assert [party for party, _ in report.cosigners] == (
            ["Moscow"] if exporter == "Washington" else ["Washington"]
        )
        assert len(report.witnessed) == 1


def test_the_whole_record_holds_non_message_entries_too(exchange: Exchange) -> None:
    report = audit_bundle(Bundle.decode(exchange.whole))
    assert report.fault is None
    assert len(report.messages) + len(report.entries) == exchange.checkpoint_size
    assert any(e.kind == "terminal started" for e in report.entries)


def test_pinned_cards_that_match_are_reported_as_pinned(exchange: Exchange) -> None:
    report = audit_bundle(
        Bundle.decode(exchange.line), (exchange.washington_card, exchange.moscow_card)
    )
    assert report.fault is None
    assert report.pinned == ("Moscow", "Washington")
    assert report.from_bundle == ()


def test_export_by_id_brings_the_receipt_and_the_acknowledgement(exchange: Exchange) -> None:
    acked, plain = exchange.sent_by_washington[0], exchange.sent_by_washington[-1]
    files = open_terminal(exchange.washington_dir)
    try:
        bundle, summary = export_bundle(
            files.store, files.identity, files.card().to_json(), ids=[acked, plain]
        )
        kinds = sorted(
            e.kind for e in files.store.iter_journal() if e.data.get("id") in (acked, plain)
        )
    finally:
        files.store.close()
    report = audit_bundle(Bundle.decode(bundle.encode()))
    assert report.fault is None
    assert {m.id for m in report.messages if m.kind == "text"} == {acked, plain}
    # The ack message that carried Moscow's acknowledgement came along.
    assert [m.kind for m in report.messages].count("ack") == 1
    assert summary.messages == 3
    assert kinds == [
        "acknowledgement received",
        "message queued",
        "message queued",
        "receipt received",
        "receipt received",
    ]


def test_export_by_period_keeps_entries_in_it_and_completes_their_messages(
    exchange: Exchange,
) -> None:
    files = open_terminal(exchange.washington_dir)
    try:
        entries = list(files.store.iter_journal())
        acks = [e for e in entries if e.kind == "acknowledgement received"]
        since, until = acks[0].at, acks[-1].at
        bundle, _ = export_bundle(
            files.store, files.identity, files.card().to_json(), since=since, until=until
        )
    finally:
        files.store.close()
    report = audit_bundle(Bundle.decode(bundle.encode()))
    assert report.fault is None
    # Every acknowledgement but the last (until is exclusive) is in, with its message.
    acked = [m for m in report.messages if m.acknowledged is not None]
    assert len(acked) == len({e.data["id"] for e in acks if e.at < until})


def test_export_needs_a_cosigned_checkpoint_and_a_known_peer(tmp_path: Path) -> None:
    washington_dir, _ = make_pair(tmp_path)
    files = open_terminal(washington_dir)
    try:
        with pytest.raises(NotCosigned):
            export_bundle(files.store, files.identity, files.card().to_json())
        with pytest.raises(NotCosigned, match="Moscow has not cosigned"):
            export_bundle(files.store, files.identity, files.card().to_json(), peer="Moscow")
        with pytest.raises(UnknownPeer):
            export_bundle(files.store, files.identity, files.card().to_json(), peer="Atlantis")
    finally:
        files.store.close()


# -- what is refused ---------------------------------------------------------


def _positions(size: int, count: int) -> list[int]:
    step = max(1, size // count)
    return list(range(0, size, step))


@pytest.mark.parametrize("fraction", [n / 97 for n in range(97)])
def test_any_byte_changed_is_refused(exchange: Exchange, fraction: float) -> None:
    data = exchange.line
    position = min(int(fraction * len(data)), len(data) - 1)
    for flip in (0x01, 0x20):
        changed = bytearray(data)
        changed[position] ^= flip
        assert _fault(bytes(changed)) != "", f"byte {position} ^ {flip:#x} went unnoticed"


def test_every_byte_of_a_small_bundle_matters(exchange: Exchange) -> None:
    files = open_terminal(exchange.washington_dir)
    try:
        bundle, _ = export_bundle(
            files.store, files.identity, files.card().to_json(), ids=[exchange.sent_by_moscow[0]]
        )
    finally:
        files.store.close()
    data = bundle.encode()
    assert _fault(data) == ""
    for position in range(0, len(data), 7):
        changed = bytearray(data)
        changed[position] ^= 0x04
        assert _fault(bytes(changed)) != "", f"byte {position} went unnoticed"


def test_whitespace_added_is_refused(exchange: Exchange) -> None:
    document = json.loads(exchange.line)
    spaced = json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False).encode() + b"\n"
    assert "canonical" in _fault(spaced)


def test_an_entry_removed_is_refused(exchange: Exchange) -> None:
    def drop_middle(document: dict[str, Any]) -> None:
        entries = document["log"]["entries"]
        del entries[len(entries) // 2]

    assert _fault(_edit(exchange.line, drop_middle)) != ""


def test_an_entry_removed_and_signed_again_is_named(exchange: Exchange) -> None:
    # The exporter itself drops a "message received" entry: its envelope is now unbound.
    def drop_received(bundle: Bundle) -> Bundle:
        kept = [e for e in bundle.entries if b"message received" not in e.leaf]
        return replace(bundle, entries=tuple(kept[:-1] + kept[-1:]))

    fault = _fault(_resigned(exchange.line, drop_received, exchange))
    assert "no entry binds" in fault or "holds no message" in fault


def test_an_entry_spliced_from_the_other_sides_bundle_is_refused(exchange: Exchange) -> None:
    theirs = Bundle.decode(exchange.moscow_line)

    def splice(bundle: Bundle) -> Bundle:
        foreign = theirs.entries[3]
        entries = [e for e in bundle.entries if e.index != foreign.index]
        entries.append(foreign)
        return replace(bundle, entries=tuple(sorted(entries, key=lambda e: e.index)))

    fault = _fault(_resigned(exchange.line, splice, exchange))
    assert "does not lead to the root" in fault or "proof" in fault


def test_a_proof_hash_changed_is_named(exchange: Exchange) -> None:
    def change_proof(bundle: Bundle) -> Bundle:
        entry = bundle.entries[5]
        proof = (bytes(32), *entry.proof[1:])
        changed = BundleEntry(index=entry.index, leaf=entry.leaf, proof=proof)
        return replace(bundle, entries=(*bundle.entries[:5], changed, *bundle.entries[6:]))

    fault = _fault(_resigned(exchange.line, change_proof, exchange))
    assert "does not lead to the root" in fault
    assert f"#{Bundle.decode(exchange.line).entries[5].index + 1}" in fault


def test_a_duplicate_entry_is_named(exchange: Exchange) -> None:
    def duplicate(bundle: Bundle) -> Bundle:
        return replace(
            bundle, entries=(*bundle.entries[:3], bundle.entries[2], *bundle.entries[3:])
        )

    assert "appears twice" in _fault(_resigned(exchange.line, duplicate, exchange))


def test_a_cosignature_removed_is_named(exchange: Exchange) -> None:
    def uncosign(bundle: Bundle) -> Bundle:
        text, _, signatures = bundle.checkpoint.rpartition("\n\n")
        own = signatures.splitlines()[0]
        return replace(bundle, checkpoint=f"{text}\n\n{own}\n")

    fault = _fault(_resigned(exchange.line, uncosign, exchange))
    assert "no cosignature by another party" in fault


def test_the_wrong_pinned_card_is_named(exchange: Exchange) -> None:
    fault = _fault(exchange.line, (exchange.moscow_card, exchange.moscow_card))
    assert fault == ""
    stranger = PeerCard.from_json(_other_card(exchange.moscow_dir.parent.parent, "Moscow"))
    fault = _fault(exchange.line, (stranger,))
    assert "is not the pinned card" in fault


def _other_card(root: Path, party: str) -> str:
    from tests.terminal.helpers import make_terminal

    directory = make_terminal(root / "impostor", party)
    files = open_terminal(directory)
    try:
        return files.card().to_json()
    finally:
        files.store.close()


def _one_message(exchange: Exchange) -> bytes:
    files = open_terminal(exchange.washington_dir)
    try:
        bundle, _ = export_bundle(
            files.store, files.identity, files.card().to_json(), ids=[exchange.sent_by_moscow[-1]]
        )
    finally:
        files.store.close()
    return bundle.encode()


@pytest.mark.parametrize("what", ["envelopes", "bodies", "receipts"])
def test_an_object_no_entry_binds_is_named(exchange: Exchange, what: str) -> None:
    whole = Bundle.decode(exchange.whole)

    def smuggle(bundle: Bundle) -> Bundle:
        held: dict[str, bytes] = getattr(bundle, what)
        extra: dict[str, bytes] = getattr(whole, what)
        key = next(k for k in extra if k not in held)
        changes: dict[str, Any] = {what: {**held, key: extra[key]}}
        return replace(bundle, **changes)

    fault = _fault(_resigned(_one_message(exchange), smuggle, exchange))
    assert "an object no entry binds" in fault


@pytest.mark.parametrize("what", ["envelopes", "bodies", "receipts"])
def test_an_object_missing_is_named(exchange: Exchange, what: str) -> None:
    def drop(bundle: Bundle) -> Bundle:
        changes: dict[str, Any] = {what: {}}
        return replace(bundle, **changes)

    fault = _fault(_resigned(_one_message(exchange), drop, exchange))
    assert "does not hold" in fault or "holds no" in fault


def test_a_changed_body_is_named(exchange: Exchange) -> None:
    target = exchange.sent_by_washington[1]

    def rewrite(bundle: Bundle) -> Bundle:
        import cbor2

        body = cbor2.loads(bundle.bodies[target])
        body["text"] = "Washington 1: we never said that"
        bodies = {**bundle.bodies, target: cbor2.dumps(body, canonical=True)}
        return replace(bundle, bodies=bodies)

    fault = _fault(_resigned(exchange.line, rewrite, exchange))
    assert "committed" in fault
    assert target in fault


def test_a_conflict_with_a_forged_note_is_named(exchange: Exchange) -> None:
    def forge(bundle: Bundle) -> Bundle:
        note = bundle.checkpoint.replace("\n\n", "\n\n", 1)
        text, _, signatures = note.rpartition("\n\n")
        lines = text.split("\n")
        lines[1] = str(int(lines[1]) + 1)
        forged = "\n".join(lines) + "\n\n" + signatures
        conflict = BundleConflict(
            log="ours",
            peer="Moscow",
            kind="fork",
            detected_at=bundle.exported_at,
            known="",
            offered=forged,
            proof=(),
            detail="made up",
        )
        return replace(bundle, conflicts=(conflict,))

    assert "conflict 0" in _fault(_resigned(exchange.line, forge, exchange))


def test_malformed_bundles_are_refused_clearly() -> None:
    with pytest.raises(BundleInvalid, match="not JSON"):
        Bundle.decode(b"{")
    with pytest.raises(BundleInvalid, match="format"):
        Bundle.decode(b'{"format":"x","version":1}\n')
    with pytest.raises(BundleInvalid, match="version"):
        Bundle.decode(b'{"format":"hotline-record-bundle","version":2}\n')
    with pytest.raises(BundleInvalid, match="missing 'cards'"):
        Bundle.decode(b'{"format":"hotline-record-bundle","version":1}\n')


def test_bad_base64_is_refused(exchange: Exchange) -> None:
    def bad(document: dict[str, Any]) -> None:
        document["log"]["entries"][0]["leaf"] = document["log"]["entries"][0]["leaf"][:-2] + "!="

    with pytest.raises(BundleInvalid, match="base64"):
        Bundle.decode(_edit(exchange.line, bad))


# -- round trips ----------------------------------------------------------------

_b = st.binary(max_size=40)
_id = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
_hash = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
_utc = st.sampled_from(["2026-11-22T04:31:14.123456Z", "1999-01-01T00:00:00.000000Z"])
_text = st.text(max_size=30)


@st.composite
def bundles(draw: st.DrawFn) -> Bundle:
    return Bundle(
        exported_by=draw(_text),
        exported_at=draw(_utc),
        selection=Selection(
            peer=draw(st.none() | _text),
            since=draw(st.none() | _utc),
            until=draw(st.none() | _utc),
            ids=tuple(draw(st.lists(_id, max_size=3))),
        ),
        cards=tuple(draw(st.lists(_text, max_size=3))),
        origin=draw(_text),
        checkpoint=draw(_text),
        entries=tuple(
            draw(
                st.lists(
                    st.builds(
                        BundleEntry,
                        st.integers(0, 2**63 - 1),
                        _b,
                        st.lists(_b, max_size=3).map(tuple),
                    ),
                    max_size=4,
                )
            )
        ),
        envelopes=draw(st.dictionaries(_hash, _b, max_size=3)),
        bodies=draw(st.dictionaries(_id, _b, max_size=3)),
        receipts=draw(st.dictionaries(_id, _b, max_size=3)),
        witnessed=tuple(draw(st.lists(_text, max_size=2))),
        conflicts=tuple(
            draw(
                st.lists(
                    st.builds(
                        BundleConflict,
                        log=_text,
                        peer=_text,
                        kind=_text,
                        detected_at=_utc,
                        known=_text,
                        offered=_text,
                        proof=st.lists(_b, max_size=2).map(tuple),
                        detail=_text,
                    ),
                    max_size=2,
                )
            )
        ),
        signature=draw(st.binary(min_size=64, max_size=64)),
    )


@settings(max_examples=150, deadline=None)
@given(bundles())
def test_encode_then_decode_is_the_same_bundle(bundle: Bundle) -> None:
    try:
        data = bundle.encode()
    except BundleInvalid:
        # Lone surrogates cannot be UTF-8: refused on the way out, as on the way in.
        return
    whole = {**bundle.unsigned_document(), "signature": base64.b64encode(bundle.signature).decode()}
    assert data == jcs(whole) + b"\n"
    assert Bundle.decode(data) == bundle
    assert Bundle.decode(data).encode() == data


def test_a_bundle_records_the_message_directions(exchange: Exchange) -> None:
    files = open_terminal(exchange.moscow_dir)
    try:
        incoming = {
            m.id for m in files.store.iter_messages(peer="Washington", direction=Direction.IN)
        }
    finally:
        files.store.close()
    report = audit_bundle(Bundle.decode(exchange.moscow_line))
    assert {m.id for m in report.messages if m.recipient == "Moscow"} == incoming
    assert base64.b64decode(json.loads(exchange.moscow_line)["signature"])
