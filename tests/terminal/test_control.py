"""The control API: every route through FastAPI's TestClient, and ControlClient over the socket.

The routes are ``async def`` so that in the daemon they run on the loop thread
that owns the store. Here the terminal is opened and started on the
TestClient's own portal thread, and every request runs there too, as it would
in the daemon.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.exceptions import StarletteDeprecationWarning

from hotline.crypto import Identity, make_card
from hotline.errors import (
    DaemonNotRunning,
    InvalidArgument,
    MessageTooLarge,
    NotInitialised,
    UnknownMessage,
    UnknownPeer,
)
from hotline.terminal import ControlClient, Terminal, TerminalPaths
from hotline.terminal.config import parse_card
from hotline.terminal.control import create_control_app, messages_json, serve_control_api
from hotline.terminal.core import MAX_TEXT_BYTES
from hotline.terminal.desks.accounts import authenticate, create_user
from hotline.terminal.desks.calls import CallDesk, PresenceDesk
from hotline.terminal.desks.keys import KeyDesk

from .helpers import card_of, make_pair, make_terminal

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package (not installed here) and warns
    # once, at import, that plain httpx is deprecated; httpx still works.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


T = TypeVar("T")


@dataclass
class Api:
    client: TestClient
    portal: BlockingPortal
    terminal: Terminal
    moscow_dir: Path
    washington_dir: Path

    def on_loop(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the thread that owns the terminal's store."""
        return self.portal.call(function)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(path, json=body)


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """Moscow's control API, Moscow knowing Washington (who would dial Moscow)."""
    washington_dir, moscow_dir = make_pair(tmp_path, dialer="Washington", listener="Moscow")
    with start_blocking_portal() as portal:
        terminal = portal.call(Terminal.open, moscow_dir)
        portal.call(terminal.start)
        client = TestClient(create_control_app(terminal))
        # Requests run on this portal's thread: the one that opened the store.
        client.portal = portal
        try:
            yield Api(client, portal, terminal, moscow_dir, washington_dir)
        finally:
            portal.call(terminal.stop)


def card_below(key: bytes, party: str = "Beijing") -> str:
    """A valid card for a new party whose key sorts below ``key`` (so nobody dials it)."""
    while True:
        identity = Identity.generate(party)
        if identity.signing_public < key:
            return make_card(identity, routes=["127.0.0.1:9"], timezone="Asia/Shanghai").to_json()


# -- status and card ---------------------------------------------------------


def test_status(api: Api) -> None:
    response = api.get("/status")
    assert response.status_code == 200
    body = response.json()
    assert body["party"] == "Moscow"
    assert body["fingerprint"] == card_of(api.moscow_dir).fingerprint
    assert body["listen"] == list(api.terminal.settings.listen)
    assert body["peers"] == [
        {
            "party": "Washington",
            "state": "down",
            "last_contact": None,
            "queued": 0,
            "address": None,
            "last_error": None,
            "in_use": False,
            "last_used": None,
            "routes": [
                {
                    "address": route,
                    "state": "down",
                    "active": False,
                    "rtt_ms": None,
                    "last_test": None,
                    "last_error": None,
                }
                # Washington dials Moscow or the other way round; the pair's routes are
                # the listening side's, whichever that is.
                for route in api.terminal.lines["Washington"].policy.routes
            ],
            "messages": {"queued": 0, "sent": 0, "delivered": 0, "acknowledged": 0, "overdue": 0},
        }
    ]
    assert body["alarms"] == []


def test_card_is_the_terminals_own_verified_card(api: Api) -> None:
    response = api.get("/card")
    assert response.status_code == 200
    card = parse_card(response.json()["card"])
    assert card.party == "Moscow"
    assert card.signing_key == api.terminal.identity.signing_public


# -- messages ------------------------------------------------------------------


def test_post_message_queues_it_and_it_can_be_read_back(api: Api) -> None:
    response = api.post("/messages", {"to": "Washington", "text": "Привет", "precedence": "flash"})
    assert response.status_code == 201
    sent = response.json()
    assert sent["direction"] == "out"
    assert sent["peer"] == "Washington"
    assert sent["state"] == "queued"
    assert sent["serial"] == 1
    assert sent["precedence"] == "flash"
    assert sent["channel"] == "leaders"
    assert sent["text"] == "Привет"
    record = api.on_loop(lambda: api.terminal.store.get_message(sent["id"]))
    assert record is not None
    assert (
        api.on_loop(lambda: messages_json(api.terminal, [record]))[0].model_dump(mode="json")
        == sent
    )
    assert api.get(f"/messages/{sent['id']}").json() == sent
    assert api.get("/status").json()["peers"][0]["queued"] == 1


def test_a_marked_message_and_its_release(api: Api) -> None:
    markings = {"eyes_only": ["alice", "channel:ministers"], "not_for_release": True}
    response = api.post("/messages", {"to": "Washington", "text": "Hold", "markings": markings})
    assert response.status_code == 201
    sent = response.json()
    assert (sent["markings"], sent["release"]) == (markings, None)
    refused = api.post(
        "/messages", {"to": "Washington", "text": "x", "markings": {"classification": "SECRET"}}
    )
    assert (refused.status_code, refused.json()["error"]) == (422, "InvalidArgument")
    assert "no classification is" in refused.json()["detail"]
    malformed = api.post("/messages", {"to": "Washington", "text": "x", "markings": {"eyes": 1}})
    assert (malformed.status_code, malformed.json()["error"]) == (422, "InvalidArgument")
    plain = api.post("/messages", {"to": "Washington", "text": "plain"}).json()
    assert plain["markings"] is None
    release = api.post(f"/messages/{sent['id']}/release", {"public_text": "Talks held."})
    assert release.status_code == 201
    body = release.json()
    assert (body["message"], body["released_by"], body["public_text"]) == (
        sent["id"],
        "Moscow",
        "Talks held.",
    )
    shown = api.get(f"/messages/{sent['id']}").json()
    assert shown["release"]["release_id"] == body["release_id"]
    release_message = api.get(f"/messages/{body['release_id']}").json()
    assert (release_message["kind"], release_message["peer"]) == ("release", "Washington")
    again = api.post(f"/messages/{sent['id']}/release", {})
    assert (again.status_code, again.json()["error"]) == (422, "ReleaseRefused")
    unmarked = api.post(f"/messages/{plain['id']}/release", {})
    assert (unmarked.status_code, unmarked.json()["error"]) == (422, "ReleaseRefused")
    assert api.post("/messages/nope/release", {}).status_code == 404


def test_list_messages_filters(api: Api) -> None:
    ids = [
        api.post("/messages", {"to": "Washington", "text": f"n{i}", "channel": "ops"}).json()["id"]
        for i in range(3)
    ]
    everything = api.get("/messages")
    assert everything.status_code == 200
    assert sorted(m["id"] for m in everything.json()) == sorted(ids)
    assert {m["channel"] for m in everything.json()} == {"ops"}
    assert len(api.get("/messages", limit=2).json()) == 2
    assert len(api.get("/messages", peer="Washington", direction="out").json()) == 3
    assert api.get("/messages", direction="in").json() == []
    assert api.get("/messages", peer="Beijing").json() == []


@pytest.mark.parametrize(
    ("params", "where"),
    [({"direction": "sideways"}, "direction"), ({"limit": 0}, "limit"), ({"limit": "x"}, "limit")],
)
def test_list_messages_rejects_bad_query(api: Api, params: dict[str, Any], where: str) -> None:
    response = api.get("/messages", **params)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "InvalidArgument"
    assert body["detail"].startswith(f"{where}: ")


def test_unknown_peer_is_404_unknown_peer(api: Api) -> None:
    response = api.post("/messages", {"to": "Beijing", "text": "hello"})
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "UnknownPeer"
    assert "Beijing" in body["detail"]


def test_text_too_large_is_413(api: Api) -> None:
    response = api.post("/messages", {"to": "Washington", "text": "x" * (MAX_TEXT_BYTES + 1)})
    assert response.status_code == 413
    assert response.json()["error"] == "MessageTooLarge"
    # The largest allowed text is accepted.
    largest = api.post("/messages", {"to": "Washington", "text": "x" * MAX_TEXT_BYTES})
    assert largest.status_code == 201


def test_bad_precedence_is_422(api: Api) -> None:
    response = api.post("/messages", {"to": "Washington", "text": "x", "precedence": "urgent"})
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidArgument"
    assert response.json()["detail"].startswith("precedence: ")
    assert api.get("/messages").json() == []


@pytest.mark.parametrize(
    "body",
    [
        {"text": "no recipient"},
        {"to": "", "text": "empty recipient"},
        {"to": "Washington"},
        {"to": "Washington", "text": 5},
    ],
)
def test_malformed_message_body_is_422(api: Api, body: dict[str, Any]) -> None:
    assert api.post("/messages", body).status_code == 422


def test_bad_channel_is_422_invalid_argument(api: Api) -> None:
    response = api.post("/messages", {"to": "Washington", "text": "x", "channel": "No Spaces"})
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidArgument"


@pytest.mark.parametrize("suffix", ["", "/delivered"])
def test_unknown_message_is_404(api: Api, suffix: str) -> None:
    response = api.get("/messages/" + "0" * 32 + suffix)
    assert response.status_code == 404
    assert response.json()["error"] == "UnknownMessage"


def test_post_group_answers_the_group_and_refuses_bad_input_whole(api: Api) -> None:
    marked = {"eyes_only": ["duty-officer"], "not_for_release": True}
    response = api.post(
        "/messages/group", {"to": ["Washington"], "text": "marked", "markings": marked}
    )
    assert response.status_code == 201
    group = response.json()
    [message] = group["messages"]
    assert message["group"] == group["group"]
    assert message["payload_hash"] == group["payload_hash"]
    assert message["markings"] == marked
    assert message["to"] == ["Washington"]
    assert [(r["party"], r["state"]) for r in message["recipients"]] == [("Washington", "queued")]
    unknown = api.post("/messages/group", {"to": ["Washington", "Beijing"], "text": "x"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "UnknownPeer")
    twice = api.post("/messages/group", {"to": ["Washington", "Washington"], "text": "x"})
    assert (twice.status_code, twice.json()["error"]) == (422, "InvalidArgument")
    bad_marking = api.post(
        "/messages/group", {"to": ["Washington"], "text": "x", "markings": {"secret": True}}
    )
    assert (bad_marking.status_code, bad_marking.json()["error"]) == (422, "InvalidArgument")
    assert api.post("/messages/group", {"to": [], "text": "x"}).status_code == 422
    assert len(api.get("/messages").json()) == 1


def test_post_batch_queues_all_in_order_or_none(api: Api) -> None:
    batch = [{"to": "Washington", "text": f"b{i}", "precedence": "priority"} for i in range(3)]
    response = api.post("/messages/batch", {"messages": batch})
    assert response.status_code == 201
    records = response.json()
    assert [(r["serial"], r["text"], r["precedence"]) for r in records] == [
        (1, "b0", "priority"),
        (2, "b1", "priority"),
        (3, "b2", "priority"),
    ]
    # One bad message refuses the whole batch: nothing of it is stored.
    bad = [{"to": "Washington", "text": "fine"}, {"to": "Beijing", "text": "unknown peer"}]
    refused = api.post("/messages/batch", {"messages": bad})
    assert (refused.status_code, refused.json()["error"]) == (404, "UnknownPeer")
    too_big = [{"to": "Washington", "text": "fine"}, {"to": "Washington", "text": "x" * 70_000}]
    assert api.post("/messages/batch", {"messages": too_big}).status_code == 413
    assert len(api.get("/messages").json()) == 3
    assert api.post("/messages/batch", {"messages": []}).status_code == 422


def test_wait_delivered_answers_with_the_record_when_time_runs_out(api: Api) -> None:
    sent = api.post("/messages", {"to": "Washington", "text": "nobody is listening"}).json()
    response = api.get(f"/messages/{sent['id']}/delivered", within=0.05)
    assert response.status_code == 200
    assert response.json() == sent  # still queued: Washington is not running
    assert api.get(f"/messages/{sent['id']}/delivered", within=-1).status_code == 422
    assert api.get(f"/messages/{sent['id']}/delivered", within=3601).status_code == 422


def test_statistics_count_and_reset(api: Api) -> None:
    before = api.get("/statistics").json()
    assert before["queued"] == 0
    assert before["delivered"] == 0
    assert before["delivery_latency_ms"]["samples"] == 0
    api.post("/messages", {"to": "Washington", "text": "counted"})
    after = api.get("/statistics", samples="true").json()
    assert after["queued"] == 1
    assert after["latencies_ms"] == []
    reset = api.client.post("/statistics/reset")
    assert reset.status_code == 204
    assert api.get("/statistics").json()["queued"] == 1  # counts survive a reset


# -- peers -------------------------------------------------------------------------


def test_list_peers(api: Api) -> None:
    washington = card_of(api.washington_dir)
    assert api.get("/peers").json() == [
        {
            "party": "Washington",
            "fingerprint": washington.fingerprint,
            "routes": list(washington.routes),
            "timezone": "UTC",
        }
    ]


def test_post_peer_adds_then_refreshes(api: Api) -> None:
    card = card_below(api.terminal.identity.signing_public)
    first = api.post("/peers", {"card": card})
    assert first.status_code == 201
    assert first.json()["party"] == "Beijing"
    assert first.json()["new"] is True
    assert first.json()["fingerprint"] == parse_card(card).fingerprint
    again = api.post("/peers", {"card": card})
    assert (again.status_code, again.json()["new"]) == (201, False)
    assert [p["party"] for p in api.get("/peers").json()] == ["Beijing", "Washington"]
    # The running terminal knows the new peer at once: it can be written to.
    assert api.post("/messages", {"to": "Beijing", "text": "hi"}).status_code == 201


def test_own_card_is_409_peer_conflict(api: Api) -> None:
    response = api.post("/peers", {"card": api.terminal.card_json()})
    assert response.status_code == 409
    assert response.json()["error"] == "PeerConflict"


def test_tampered_card_is_rejected_as_card_invalid(api: Api) -> None:
    document = json.loads(card_below(api.terminal.identity.signing_public))
    document["routes"] = ["203.0.113.7:7001"]
    response = api.post("/peers", {"card": json.dumps(document)})
    assert response.status_code == 400
    assert response.json()["error"] == "CardInvalid"
    assert [p["party"] for p in api.get("/peers").json()] == ["Washington"]


def test_empty_card_is_422(api: Api) -> None:
    assert api.post("/peers", {"card": ""}).status_code == 422


def test_confirm_then_remove_then_readd_a_peer(api: Api) -> None:
    washington = card_of(api.washington_dir)
    wrong = api.post(
        "/peers/Washington/confirm",
        {"fingerprint": "0" * 60, "method": "phone", "by": "Duty officer"},
    )
    assert (wrong.status_code, wrong.json()["error"]) == (409, "FingerprintMismatch")
    confirmed = api.post(
        "/peers/Washington/confirm",
        {"fingerprint": washington.fingerprint, "method": "video", "by": "Duty officer"},
    )
    assert confirmed.status_code == 201
    assert confirmed.json()["method"] == "video"
    removed = api.post("/peers/Washington/remove", {})
    assert removed.status_code == 200
    assert "Washington" not in api.terminal.lines
    refused = api.post("/messages", {"to": "Washington", "text": "hi"})
    assert (refused.status_code, refused.json()["error"]) == (409, "PeerRemoved")
    assert "was removed on " in refused.json()["detail"]
    again = api.post("/peers", {"card": washington.to_json()})
    assert (again.status_code, again.json()["error"]) == (409, "PeerRemoved")
    assert api.post("/peers", {"card": washington.to_json(), "readd": True}).status_code == 201
    assert api.post("/messages", {"to": "Washington", "text": "hi"}).status_code == 201


def test_rotate_the_tls_key_then_all_of_them(api: Api) -> None:
    rotated = api.post("/keys/rotate", {"which": "tls"})
    assert rotated.status_code == 201
    [key] = rotated.json()["keys"]
    assert (key["kind"], key["serial"]) == ("tls", 2)
    assert key["id"].startswith("tls-")
    assert rotated.json()["announced_to"] == ["Washington"]
    again = api.post("/keys/rotate", {"which": "tls"}).json()["keys"]
    assert [k["serial"] for k in again] == [3]
    # The running terminal's card carries the newest TLS key's certificate from then on.
    card = parse_card(api.get("/card").json()["card"])
    tls = card.key_certificate("tls")
    assert tls is not None
    assert (tls.key_id, tls.serial) == (again[0]["id"], 3)
    everything = api.post("/keys/rotate", {"which": "all"})
    assert everything.status_code == 201
    assert [(k["kind"], k["serial"]) for k in everything.json()["keys"]] == [
        ("encryption", 2),
        ("tls", 4),
        ("signing", 2),
    ]
    # The signing key waits for Washington's receipt of its key event: a second is refused.
    refused = api.post("/keys/rotate", {"which": "all"})
    assert (refused.status_code, refused.json()["error"]) == (422, "InvalidArgument")
    assert "waiting for every peer" in refused.json()["detail"]
    refused = api.post("/keys/rotate", {"which": "master"})
    assert (refused.status_code, refused.json()["error"]) == (422, "InvalidArgument")


def test_revoke_the_current_key_rotating_it_first(api: Api) -> None:
    old = api.terminal.desk(KeyDesk).tiers
    assert old is not None
    [first_tls] = [c.key_id for c in old.current() if c.kind == "tls"]
    revoked = api.post(
        "/keys/revoke",
        {"key": first_tls, "reason": "leaked", "compromised_since": "2026-01-01T00:00:00.000000Z"},
    )
    assert revoked.status_code == 201
    [rotated] = revoked.json()["rotated"]
    assert (rotated["kind"], rotated["serial"]) == ("tls", 2)
    assert revoked.json()["pending"] is False
    assert revoked.json()["key"]["id"] == first_tls
    assert revoked.json()["key"]["compromised_since"] == "2026-01-01T00:00:00.000000Z"
    assert revoked.json()["announced_to"] == ["Washington"]
    twice = api.post("/keys/revoke", {"key": first_tls, "reason": "again"})
    assert (twice.status_code, twice.json()["error"]) == (422, "InvalidArgument")
    assert "revoked already" in twice.json()["detail"]
    unknown = api.post("/keys/revoke", {"key": "tls-00", "reason": "x"})
    assert first_tls in unknown.json()["detail"]
    bad_time = api.post("/keys/revoke", {"key": first_tls, "reason": "x", "compromised_since": "x"})
    assert bad_time.status_code == 422


def test_change_the_master_key(api: Api) -> None:
    before = parse_card(api.get("/card").json()["card"])
    changed = api.post("/keys/master", {})
    assert changed.status_code == 201
    result = changed.json()
    assert result["announced_to"] == ["Washington"]
    assert result["old_fingerprint"] == before.fingerprint
    assert result["fingerprint"] != before.fingerprint
    assert result["archived_as"] == "master-1.key"
    # The same operational keys, certified again by the new master (the next serials).
    assert sorted((k["kind"], k["serial"]) for k in result["keys"]) == [
        ("encryption", 2),
        ("signing", 2),
        ("tls", 2),
    ]
    card = parse_card(api.get("/card").json()["card"])
    assert card.fingerprint == result["fingerprint"]
    assert card.signing_key == before.signing_key
    assert api.get("/status").json()["fingerprint"] == result["fingerprint"]
    # The key event waits for Washington, at FLASH.
    [event] = [m for m in api.get("/messages").json() if m["kind"] == "key"]
    assert event["text"].startswith("MASTER KEY CHANGED")


# -- schema ----------------------------------------------------------------------


#: Every route of the API, each exercised by a test above. A route added to the
#: app without a test here fails test_openapi_schema_lists_every_route.
TESTED_ROUTES = {
    ("GET", "/status"),
    ("GET", "/card"),
    ("POST", "/messages"),
    ("POST", "/messages/batch"),
    ("POST", "/messages/group"),
    ("GET", "/messages"),
    ("GET", "/messages/{message_id}"),
    ("GET", "/messages/{message_id}/delivered"),
    ("GET", "/statistics"),
    ("POST", "/statistics/reset"),
    ("GET", "/peers"),
    ("POST", "/peers"),
    ("POST", "/peers/{party}/remove"),
    ("POST", "/peers/{party}/confirm"),
    ("POST", "/keys/rotate"),
    ("POST", "/keys/master"),
    ("POST", "/keys/revoke"),
    ("GET", "/alarms"),
    ("POST", "/tests"),
    ("GET", "/users"),
    ("POST", "/users"),
    ("POST", "/messages/{message_id}/ack"),
    ("POST", "/messages/{message_id}/release"),
    # Joint statements: every route driven by tests/cli/test_statements.py (three processes).
    ("GET", "/statements"),
    ("POST", "/statements"),
    ("GET", "/statements/{ref}"),
    ("POST", "/statements/{ref}/revisions"),
    ("POST", "/statements/{ref}/signatures"),
    ("POST", "/statements/{ref}/withdrawal"),
    ("GET", "/statements/{ref}/export"),
    ("POST", "/messages/notifications"),
    ("GET", "/meetings"),
    ("GET", "/calls"),
    ("GET", "/presence"),
    ("GET", "/reports/notifications"),
    ("GET", "/reports/notifications.csv"),
    ("GET", "/channels"),
    ("POST", "/channels"),
    ("GET", "/channels/{name}"),
    ("POST", "/channels/{name}/members"),
    ("DELETE", "/channels/{name}/members/{user}"),
    # Conferences: through the real CLI in tests/cli/test_conference.py.
    ("GET", "/conferences"),
    ("POST", "/conferences"),
    ("GET", "/conferences/{ref}"),
    ("POST", "/conferences/{ref}/parties"),
    ("DELETE", "/conferences/{ref}/parties/{party}"),
    ("POST", "/conferences/{ref}/messages"),
}


def test_notifications_are_validated_field_by_field(api: Api) -> None:
    bad = api.post(
        "/messages/notifications",
        {"to": "Washington", "format": "ceasefire", "data": {"count": 0, "weapon": "laser"}},
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["error"] == "NotificationInvalid"
    paths = {problem["path"] for problem in body["problems"]}
    assert {"path": "count", "code": "too_small", "params": {"limit": 1}} in [
        {k: v for k, v in problem.items() if k != "message"} for problem in body["problems"]
    ]
    assert {"count", "weapon", "time", "source", "place"} <= paths
    unknown = api.post("/messages/notifications", {"to": "Washington", "format": "x", "data": {}})
    assert (unknown.status_code, unknown.json()["error"]) == (422, "UnknownFormat")
    good = api.post(
        "/messages/notifications",
        {
            "to": "Washington",
            "format": "ceasefire",
            "data": {
                "place": {"name": "Shyrokyne"},
                "time": "2026-11-23T03:40:00Z",
                "weapon": "mortar",
                "count": 12,
                "source": "OSCE monitoring team",
            },
        },
    )
    assert good.status_code == 201
    sent = good.json()
    assert (sent["kind"], sent["format"], sent["data"]["count"]) == (
        "notification",
        "ceasefire",
        12,
    )
    assert "mortar" in sent["text"].lower()
    report = api.get("/reports/notifications", period="all").json()
    assert report == [
        {
            "period": "all",
            "peer": "Washington",
            "direction": "out",
            "format": "ceasefire",
            "count": 1,
        }
    ]
    csv = api.get("/reports/notifications.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert sent["id"] in csv.text
    assert api.get("/meetings").json() == []
    assert api.get("/reports/notifications", since="yesterday").status_code == 422


def test_calls_and_presence_requests_are_listed(api: Api) -> None:
    assert api.get("/calls").json() == []
    assert api.get("/presence").json() == []

    def place() -> None:
        create_user(api.terminal.store, api.terminal.clock, name="ivanov", role="operator",
                    password="correct horse battery")  # fmt: skip
        ivanov = authenticate(api.terminal.store, "ivanov", "correct horse battery")
        sdp = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n"
        # Washington is not running: the line is down, so the call fails at once.
        api.terminal.desk(CallDesk).place(
            to="Washington", channel="leaders", kind="audio", sdp=sdp, operator=ivanov
        )
        api.terminal.desk(PresenceDesk).request(to="Washington", channel="leaders", operator=ivanov)

    api.on_loop(place)
    [call] = api.get("/calls").json()
    assert (call["caller"], call["callee"], call["kind"]) == ("Moscow", "Washington", "audio")
    assert (call["state"], call["outcome"]) == ("ended", "failed")
    assert call["reason"] == "the line to Washington is down"
    assert call["our_fingerprint"] == "sha-256 " + ":".join(["AB"] * 32)
    assert api.get("/calls", limit=0).status_code == 422
    [request] = api.get("/presence").json()
    assert (request["direction"], request["requested_by"]) == ("out", "ivanov")
    assert request["answered_at"] is None


def test_users_are_created_listed_and_checked(api: Api) -> None:
    created = api.post(
        "/users", {"name": "ivanov", "role": "operator", "password": "correct horse battery"}
    )
    assert created.status_code == 201
    assert created.json()["role"] == "operator"
    assert "password" not in created.text
    listed = api.get("/users").json()
    assert [u["name"] for u in listed] == ["ivanov"]
    bad = api.post("/users", {"name": "x", "role": "king", "password": "correct horse battery"})
    assert bad.status_code == 422
    again = api.post("/users", {"name": "ivanov", "role": "admin", "password": "0123456789"})
    assert again.status_code == 409


def test_channels_are_configured_through_the_control_api(api: Api) -> None:
    for name in ("ivanov", "petrov"):
        api.post("/users", {"name": name, "role": "operator", "password": "correct horse battery"})
    unknown = api.post("/channels", {"name": "defence", "members": [{"name": "ghost"}]})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "UnknownUser")
    created = api.post("/channels", {"name": "defence", "members": [{"name": "ivanov"}]})
    assert created.status_code == 201
    assert created.json()["created_by"] == "root"
    added = api.post("/channels/defence/members", {"name": "petrov", "role": "principal"})
    assert added.status_code == 201
    assert [(m["name"], m["role"]) for m in added.json()["members"]] == [
        ("ivanov", "member"),
        ("petrov", "principal"),
    ]
    removed = api.client.delete("/channels/defence/members/ivanov")
    assert removed.status_code == 200
    assert removed.json()["version"] == 3
    assert [c["name"] for c in api.get("/channels").json()] == ["defence"]
    assert api.get("/channels/defence").json()["history"][0]["removed_by"] == "root"
    assert api.get("/channels/chiefs").status_code == 422


def test_ack_needs_the_users_password(api: Api) -> None:
    api.post("/users", {"name": "ivanov", "role": "operator", "password": "correct horse battery"})
    wrong = api.post("/messages/" + "0" * 32 + "/ack", {"user": "ivanov", "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "AuthenticationFailed"
    unknown = api.post(
        "/messages/" + "0" * 32 + "/ack", {"user": "ivanov", "password": "correct horse battery"}
    )
    assert unknown.status_code == 404


def test_alarms_empty_on_a_fresh_terminal(api: Api) -> None:
    response = api.get("/alarms")
    assert response.status_code == 200
    assert response.json() == []


def test_tests_of_an_unknown_peer_is_404(api: Api) -> None:
    response = api.client.post("/tests", params={"peer": "Atlantis"})
    assert response.status_code == 404
    assert response.json()["error"] == "UnknownPeer"
    assert "Atlantis" in response.json()["detail"]


def test_openapi_schema_lists_every_route(api: Api) -> None:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "hotline terminal Moscow"
    documented = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    }
    assert documented == TESTED_ROUTES


# -- ControlClient ---------------------------------------------------------------


def test_client_on_a_directory_that_is_no_terminal(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised):
        ControlClient(tmp_path)


def test_client_with_no_daemon_is_daemon_not_running(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "moscow", "Moscow")
    client = ControlClient(directory, timeout=2)
    assert not TerminalPaths(directory).control_socket.exists()
    with pytest.raises(DaemonNotRunning, match="hotline run"):
        client.status()
    assert client.is_running() is False


def test_client_with_a_stale_socket_is_daemon_not_running(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "moscow", "Moscow")
    path = TerminalPaths(directory).control_socket
    # What a killed daemon leaves: the socket file, with nobody listening on it.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(str(path))
    assert path.exists()
    with ControlClient(directory, timeout=2) as client:
        with pytest.raises(DaemonNotRunning):
            client.send(to="Washington", text="anyone there?")
        assert not client.is_running()


@pytest.mark.usefixtures("control_socket_leak")
def test_client_against_a_served_api_raises_the_daemons_errors(tmp_path: Path) -> None:
    _, moscow_dir = make_pair(tmp_path, dialer="Washington", listener="Moscow")

    def drive(client: ControlClient) -> None:
        assert client.is_running()
        assert client.status()["party"] == "Moscow"
        assert parse_card(client.card()).party == "Moscow"
        sent = client.send(to="Washington", text="over the socket", precedence="immediate")
        assert client.message(sent["id"]) == sent
        assert [m["id"] for m in client.messages(peer="Washington", direction="out")] == [
            sent["id"]
        ]
        assert [p["party"] for p in client.peers()] == ["Washington"]
        with pytest.raises(UnknownPeer, match="Beijing"):
            client.send(to="Beijing", text="x")
        with pytest.raises(MessageTooLarge):
            client.send(to="Washington", text="x" * (MAX_TEXT_BYTES + 1))
        with pytest.raises(InvalidArgument, match="precedence"):
            client.send(to="Washington", text="x", precedence="urgent")
        with pytest.raises(UnknownMessage):
            client.message("f" * 32)
        batch = client.send_many(
            [{"to": "Washington", "text": "a"}, {"to": "Washington", "text": "b"}]
        )
        assert [m["serial"] for m in batch] == [2, 3]
        assert client.wait_delivered(sent["id"], timeout=0.05)["state"] == "queued"
        assert client.statistics()["queued"] == 3
        assert client.statistics(samples=True)["latencies_ms"] == []
        client.reset_statistics()
        added = client.add_peer(card_below(card_of(moscow_dir).signing_key))
        assert added["new"] is True

    async def main() -> None:
        terminal = Terminal.open(moscow_dir)
        await terminal.start()
        started = asyncio.Event()
        server = asyncio.create_task(serve_control_api(terminal, started=started))
        try:
            await asyncio.wait_for(started.wait(), 10)
            path = terminal.files.paths.control_socket
            assert path.stat().st_mode & 0o777 == 0o600
            with ControlClient(moscow_dir, timeout=5) as client:
                await asyncio.to_thread(drive, client)
        finally:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
            await terminal.stop()

    asyncio.run(main())
    assert not TerminalPaths(moscow_dir).control_socket.exists()
