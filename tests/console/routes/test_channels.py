"""Channels with their own people in the console: members read, others see only that traffic exists."""

from __future__ import annotations

import re

from hotline.terminal.desks.channels import ChannelDesk

from ..conftest import FLIGHT, Pair

SECRET = "Carrier group holds at 35N; tell nobody outside the channel"


def _create(pair: Pair) -> None:
    admin = pair.washington
    admin.login_as("wash-admin")
    page = admin.get("/channels")
    assert page.status_code == 200
    assert 'id="nav-channels"' in page.text
    form = {
        "name": "defence",
        "members": "wash-principal:principal\nwash-op",
        "csrf_token": admin.csrf,
    }
    assert admin.client.post("/channels", data=form).status_code == 303
    refused = admin.client.post("/channels", data={**form, "name": "chiefs", "members": "ghost"})
    assert refused.status_code == 404
    assert "ghost" in refused.text
    no_csrf = admin.client.post("/channels", data={**form, "name": "chiefs", "csrf_token": ""})
    assert no_csrf.status_code == 403


def test_only_members_read_send_and_acknowledge_a_restricted_channel(pair: Pair) -> None:
    pair.wait_line_up()
    _create(pair)
    wash = pair.washington
    assert wash.on_loop(lambda: wash.terminal.desk(ChannelDesk).members("defence")) == {
        "wash-principal",
        "wash-op",
    }
    # The admin manages the channel but does not read it.
    wash.login_as("wash-op")
    sent = wash.send(SECRET, channel="defence")
    assert sent["text"] == SECRET
    assert sent["restricted"] is None
    notice = wash.notify("flight", FLIGHT, channel="defence")
    assert notice.status_code == 201, notice.text
    for user in ("wash-admin", "wash-auditor"):
        wash.login_as(user)
        for path in ("/traffic", "/api/messages", f"/api/messages/{sent['id']}"):
            response = wash.get(path)
            assert response.status_code == 200, (user, path)
            assert SECRET not in response.text, (user, path)
            assert "Tu-95MS" not in response.text, (user, path)
        page = wash.get(f"/messages/{sent['id']}")
        assert SECRET not in page.text
        assert 'data-testid="restricted"' in page.text
        assert "Restricted to channel defence" in page.text
        [row] = [m for m in wash.get("/api/messages").json() if m["id"] == sent["id"]]
        assert (row["restricted"], row["text"], row["peer"], row["channel"]) == (
            "restricted to channel defence",
            "",
            "Moscow",
            "defence",
        )
        csv = wash.get("/api/reports/notifications.csv")
        assert csv.status_code == 200
        assert "Tu-95MS" not in csv.text
    wash.login_as("wash-auditor")
    assert wash.get("/channels").status_code == 403
    # A member reads; a non-member may not send on the channel.
    wash.login_as("wash-principal")
    assert SECRET in wash.get(f"/messages/{sent['id']}").text
    assert "Tu-95MS" in wash.get("/api/reports/notifications.csv").text
    body = {"to": "Moscow", "text": "x", "channel": "defence"}
    wash.login_as("wash-op")
    wash.on_loop(lambda: wash.terminal.desk(ChannelDesk).remove_member("defence", "wash-op", "t"))
    refused = wash.post("/api/messages", body)
    assert refused.status_code == 403
    assert "restricted" in refused.json()["detail"]
    notification = {"to": "Moscow", "channel": "defence", "format": "flight", "data": FLIGHT}
    assert wash.post("/api/notifications", notification).status_code == 403

    # Moscow restricts the same channel to its principal: only she acknowledges.
    moscow = pair.moscow
    pair.wait_until(
        lambda: moscow.terminal.store.get_message(sent["id"]) is not None, what="Moscow has it"
    )
    moscow.on_loop(
        lambda: moscow.terminal.desk(ChannelDesk).create_channel(
            "defence", [("mos-principal", "principal")], "root"
        )
    )
    moscow.login_as("mos-op")
    assert SECRET not in moscow.get("/api/messages").text
    refused = moscow.post(f"/api/messages/{sent['id']}/ack")
    assert refused.status_code == 403
    moscow.login_as("mos-principal")
    assert SECRET in moscow.get("/api/messages").text
    acked = moscow.post(f"/api/messages/{sent['id']}/ack")
    assert acked.status_code == 201, acked.text
    assert acked.json()["acknowledged_by"] == "mos-principal"
    # Washington's admin sees who on Moscow's side may acknowledge.
    wash.login_as("wash-admin")
    pair.wait_until(
        lambda: bool(wash.terminal.store.peer_channels(channel="defence")),
        what="Washington keeps Moscow's announcement",
    )
    listing = wash.get("/channels").text
    assert re.search(r'data-peer="Moscow"[^>]*>\s*Moscow announced', listing)
    assert "mos-principal (principal)" in listing
    assert wash.get("/api/channels").json()[0]["peers"][0]["peer"] == "Moscow"
