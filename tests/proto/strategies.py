"""Hypothesis strategies for protocol events, shared by the proto tests."""

from __future__ import annotations

from hypothesis import strategies as st

from hotline.proto import (
    AGENT_MAX_CHARS,
    CLOSE_REASON_MAX_CHARS,
    KEY_SIZE,
    UINT64_MAX,
    VERSION_MAX,
    WITNESS_HASH_SIZE,
    WITNESS_PROOF_MAX_HASHES,
    WITNESS_REASON_MAX_CHARS,
    Close,
    CloseCode,
    Data,
    Frame,
    Heartbeat,
    Hello,
    LinkTest,
    LinkTestReceipt,
    Receipt,
    Resume,
    WitnessCosignature,
    WitnessRefusal,
    WitnessRefusalCode,
    WitnessRequest,
)

keys = st.binary(min_size=KEY_SIZE, max_size=KEY_SIZE)
versions = st.lists(st.integers(1, VERSION_MAX), min_size=1, max_size=6, unique=True).map(tuple)
uint64 = st.integers(0, UINT64_MAX)
payloads = st.binary(min_size=1, max_size=600)

hellos = st.builds(
    Hello,
    versions=versions,
    sender_key=keys,
    recipient_key=keys,
    agent=st.text(max_size=AGENT_MAX_CHARS),
)
datas = st.builds(Data, envelope=payloads)
receipts = st.builds(Receipt, receipt=payloads)
#: Heartbeats with and without the echo pair (never half of it: that is invalid).
heartbeats = st.builds(Heartbeat, sent_at_ms=uint64) | st.builds(
    Heartbeat, sent_at_ms=uint64, echo_ms=uint64, held_ms=uint64
)
resumes = st.builds(Resume, last_held=uint64)
closes = st.builds(
    Close, code=st.sampled_from(CloseCode), reason=st.text(max_size=CLOSE_REASON_MAX_CHARS)
)

link_tests = st.builds(LinkTest, envelope=payloads)
link_test_receipts = st.builds(LinkTestReceipt, receipt=payloads)

hashes = st.binary(min_size=WITNESS_HASH_SIZE, max_size=WITNESS_HASH_SIZE)
proofs = st.lists(hashes, max_size=WITNESS_PROOF_MAX_HASHES).map(tuple)


@st.composite
def _witness_requests(draw: st.DrawFn) -> WitnessRequest:
    # Only a request from the empty tree must carry an empty proof.
    old_size = draw(uint64)
    proof: tuple[bytes, ...] = () if old_size == 0 else draw(proofs)
    return WitnessRequest(checkpoint=draw(payloads), old_size=old_size, proof=proof)


@st.composite
def _witness_refusals(draw: st.DrawFn) -> WitnessRefusal:
    code = draw(st.sampled_from(WitnessRefusalCode))
    if code is WitnessRefusalCode.ROLLBACK:
        known_size = draw(st.integers(1, UINT64_MAX))
        size = draw(st.integers(0, known_size - 1))
    else:
        size = draw(uint64)
        known_size = 0 if code is WitnessRefusalCode.UNKNOWN_LOG else draw(uint64)
    reason = draw(st.text(max_size=WITNESS_REASON_MAX_CHARS))
    return WitnessRefusal(size=size, known_size=known_size, code=code, reason=reason)


#: Requests with and without a proof (a proof of 0 to 63 hashes, never from size 0).
witness_requests = _witness_requests()
#: Cosignatures: any non-empty UTF-8 text (the frame does not parse signature lines).
witness_cosignatures = st.builds(
    WitnessCosignature,
    size=uint64,
    signature=st.text(min_size=1, max_size=300).map(lambda text: text.encode("utf-8")),
)
#: Refusals of every code, keeping each code's own invariant.
witness_refusals = _witness_refusals()

#: Every frame type.
frames: st.SearchStrategy[Frame] = st.one_of(
    hellos,
    datas,
    receipts,
    heartbeats,
    resumes,
    closes,
    link_tests,
    link_test_receipts,
    witness_requests,
    witness_cosignatures,
    witness_refusals,
)
#: The frames an OPEN session exchanges.
session_frames: st.SearchStrategy[
    Data
    | Receipt
    | Heartbeat
    | Resume
    | LinkTest
    | LinkTestReceipt
    | WitnessRequest
    | WitnessCosignature
    | WitnessRefusal
] = st.one_of(
    datas,
    receipts,
    heartbeats,
    resumes,
    link_tests,
    link_test_receipts,
    witness_requests,
    witness_cosignatures,
    witness_refusals,
)
