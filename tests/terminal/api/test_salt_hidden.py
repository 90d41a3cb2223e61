"""The body salt is protocol, not content: stored with the body, never shown to anyone.

Every message body carries a ``"salt"`` (16 random bytes, envelope.md §4.3)
so the body commitment in the clear header cannot be guessed. It must be
stored (the commitment is re-checked from the store) but must not reach a
reader: not in the API's message resource (which ``hotline messages --json``
prints and the console's traffic view shows), nor in the console's notice
view. Messages are made the real way: Washington's outbox seals, Moscow's
inbox opens.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from hotline.console.notices import notice_view
from hotline.crypto import Envelope, body_commitment
from hotline.store import MessageRecord
from hotline.terminal import open_terminal
from hotline.terminal.api.models import Message
from hotline.terminal.core.inbox import Inbox
from hotline.terminal.core.outbox import Outbox, decode_body
from hotline.testing import FakeClock
from tests.terminal.helpers import make_pair

NOTIFICATION_BODY = {
    "format": "no-such-format",
    "version": 1,
    "data": {"subject": "exercise", "count": 3},
    "exercise": True,
}


@pytest.fixture
def both_ends(tmp_path: Path) -> list[MessageRecord]:
    """A text and a notification, each as Washington sent and as Moscow received it."""
    washington_dir, moscow_dir = make_pair(tmp_path)
    washington, moscow = open_terminal(washington_dir), open_terminal(moscow_dir)
    clock = FakeClock()
    try:
        to_moscow = washington.store.get_peer("Moscow")
        from_washington = moscow.store.get_peer("Washington")
        assert to_moscow is not None
        assert from_washington is not None
        outbox = Outbox(store=washington.store, identity=washington.identity, clock=clock)
        sent = [
            outbox.queue(peer=to_moscow, text="Stand down at 0400Z."),
            outbox.queue(
                peer=to_moscow, text="EXERCISE", kind="notification", extra_body=NOTIFICATION_BODY
            ),
        ]
        inbox = Inbox(store=moscow.store, identity=moscow.identity, clock=clock)
        with moscow.store.transaction():
            outcome = inbox.accept(peer=from_washington, envelopes=[r.envelope for r in sent])
        assert outcome.refusals == ()
        return [*sent, *outcome.accepted]
    finally:
        washington.store.close()
        moscow.store.close()


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in _keys(item)}
    if isinstance(value, list):
        return {key for item in value for key in _keys(item)}
    return set()


def _assert_hidden(shown: Any, salt: bytes) -> None:
    text = json.dumps(shown, ensure_ascii=False)
    assert "salt" not in _keys(shown)
    for form in (salt.hex(), base64.b64encode(salt), base64.urlsafe_b64encode(salt)):
        assert (form if isinstance(form, str) else form.decode().rstrip("=")) not in text


def test_the_stored_body_is_the_sealed_plaintext_salt_included(
    both_ends: list[MessageRecord],
) -> None:
    assert len(both_ends) == 4
    for record in both_ends:
        envelope = Envelope.decode(record.envelope)
        assert envelope.header.version == 2
        # Exactly the bytes the commitment was made over, on both sides.
        assert body_commitment(record.body) == envelope.header.body_commitment
        salt = decode_body(record.body)["salt"]
        assert isinstance(salt, bytes)
        assert len(salt) == 16
    # Each message has its own salt, and both ends store the same one.
    salts = [decode_body(record.body)["salt"] for record in both_ends]
    assert salts[0] == salts[2]
    assert salts[1] == salts[3]
    assert salts[0] != salts[1]


def test_no_message_view_shows_the_salt(both_ends: list[MessageRecord]) -> None:
    for record in both_ends:
        salt = decode_body(record.body)["salt"]
        resource = Message.of(record, ack=None).model_dump(mode="json")
        _assert_hidden(resource, salt)
        if record.kind == "notification":
            # The structured data is shown as the sender wrote it, and only it.
            assert resource["data"] == NOTIFICATION_BODY["data"]
            assert resource["exercise"] is True
            view = notice_view(record, language="en", full=True)
            assert view is not None
            _assert_hidden(view, salt)
        else:
            assert resource["text"] == "Stand down at 0400Z."
            assert resource["data"] is None
