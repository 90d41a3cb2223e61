"""Hypothesis strategies for protocol events, shared by the proto tests."""

from __future__ import annotations

from hypothesis import strategies as st

from hotline.proto import (
    AGENT_MAX_CHARS,
    CLOSE_REASON_MAX_CHARS,
    KEY_SIZE,
    UINT64_MAX,
    VERSION_MAX,
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

#: Every frame type.
frames: st.SearchStrategy[Frame] = st.one_of(
    hellos, datas, receipts, heartbeats, resumes, closes, link_tests, link_test_receipts
)
#: The frames an OPEN session exchanges.
session_frames: st.SearchStrategy[
    Data | Receipt | Heartbeat | Resume | LinkTest | LinkTestReceipt
] = st.one_of(datas, receipts, heartbeats, resumes, link_tests, link_test_receipts)
