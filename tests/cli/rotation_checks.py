"""Whether a key rotation kept the line up, judged from what the terminal journaled.

The definition of done says "line never down more than a second" while a key
rotates under 1,000 messages each way. Timing deliveries by the wall clock
cannot show it on a loaded machine (a starved process delays everything), so
the rotation tests read the terminal's own record instead: every session that
opens or ends is journaled (``link up``, ``link down`` with its reason), and
the line's state (``line state``).

- **Across each key change, the session stayed open.** For every key entry in
  a terminal's journal (``key rotated``, ``signing key switched``, ``peer key
  certified``, ``peer encryption key switched``) the window runs from that
  entry to the first round trip with the peer after it (a receipt of one of
  our messages, or one of its messages stored and receipted): traffic crossed
  the change both ways. No ``link down`` or
  ``link up`` may fall in it: the session that carried the line before the
  change carried it after, so the change cost the line no time at all.
- **No session ever ended for a reason a rotation could cause** (a refused
  signature, a failed handshake, a protocol error): the only ``link down``
  allowed anywhere is a session given up for silence (``presumed dead``: a
  heartbeat starved on a loaded machine; the peer's end of it may only see the
  connection lost) or closed by a terminal shutting down. No ``refusal`` either.
"""

from __future__ import annotations

from pathlib import Path

from hotline.store import JournalEntry
from hotline.terminal import open_terminal

__all__ = ["KEY_CHANGES", "assert_rotation_kept_the_line", "journal_of"]

#: Journal kinds at which a key of this terminal or of its peer changed.
KEY_CHANGES = frozenset(
    {"key rotated", "signing key switched", "peer key certified", "peer encryption key switched"}
)

# Why a session may end without a rotation being at fault: silence (a heartbeat
# starved on a loaded machine; the peer's end of it sees the connection lost), or
# a terminal shutting down. A peer's close carries its reason ("closed by peer: …").
_ENDINGS = ("presumed dead", "connection lost", "shutting down")


def journal_of(directory: Path) -> list[JournalEntry]:
    """The journal of the (stopped) terminal in ``directory``, oldest first."""
    files = open_terminal(directory)
    try:
        return list(files.store.iter_journal())
    finally:
        files.store.close()


def assert_rotation_kept_the_line(directory: Path, peer: str) -> int:
    """Assert the two rules of the module for ``directory``'s line to ``peer``; return how many
    key changes were checked (at least one)."""
    journal = journal_of(directory)
    assert not [e for e in journal if e.kind == "refusal"], "something was refused"
    links = [e for e in journal if e.kind in ("link up", "link down") and e.data["peer"] == peer]
    for entry in links:
        if entry.kind == "link down":
            reason = str(entry.data["reason"])
            assert any(word in reason for word in _ENDINGS), f"a session ended: {reason}"
    checked = 0
    for change in (e for e in journal if e.kind in KEY_CHANGES):
        if change.kind.startswith("peer ") and change.data.get("peer") != peer:
            continue
        end = _traffic_crossed(journal, change.seq, peer)
        assert end is not None, f"no traffic both ways after {change.kind} (#{change.seq})"
        dropped = [e for e in links if change.seq < e.seq < end]
        assert not dropped, f"the session changed across {change.kind}: {dropped}"
        checked += 1
    assert checked >= 1, "no key change in the journal"
    return checked


def _traffic_crossed(journal: list[JournalEntry], after: int, peer: str) -> int | None:
    """The seq of the first round trip with ``peer`` after ``after``: a message of ours it
    receipted, or one of its messages we stored (and receipted)."""
    for entry in journal:
        if (
            entry.seq > after
            and entry.kind in ("receipt received", "message received")
            and entry.data.get("peer") == peer
        ):
            return entry.seq
    return None
