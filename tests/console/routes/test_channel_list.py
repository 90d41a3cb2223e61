"""``GET /channels/list``: the Channels page's list alone, which live.js re-reads."""

from __future__ import annotations

from ..conftest import Pair


def test_the_list_alone_is_the_pages_own_and_for_admins_only(pair: Pair) -> None:
    wash = pair.washington
    wash.login_as("wash-admin")
    form = {"name": "leaders", "members": "wash-principal:principal", "csrf_token": wash.csrf}
    assert wash.client.post("/channels", data=form).status_code == 303
    part = wash.get("/channels/list")
    assert part.status_code == 200
    assert 'data-channel="leaders"' in part.text
    assert 'data-user="wash-principal"' in part.text
    # The forms in it carry the session's token, as the page's own do.
    assert f'name="csrf_token" value="{wash.csrf}"' in part.text
    assert "<html" not in part.text
    page = wash.get("/channels").text
    assert 'data-live-src="/channels/list"' in page
    assert 'data-user="wash-principal"' in page

    wash.login_as("wash-op")
    assert wash.get("/channels/list").status_code == 403
