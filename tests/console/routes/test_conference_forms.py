"""The Conferences page's forms: convene, change the roster, send; CSRF, permissions, errors kept."""

from __future__ import annotations

from ..conftest import Pair


def test_the_forms_show_for_senders_and_refusals_keep_what_was_typed(pair: Pair) -> None:
    wash = pair.washington
    wash.login_as("wash-op")
    page = wash.get("/conferences")
    assert page.status_code == 200
    assert 'id="conference-form"' in page.text
    assert 'name="party" value="Moscow"' in page.text
    form = {"name": "summit", "party": ["Moscow"], "csrf_token": wash.csrf}

    # One other party is not a conference: the page comes back with the reason and the choices.
    refused = wash.client.post("/conferences", data=form)
    assert refused.status_code == 422
    assert 'id="conference-error"' in refused.text
    assert "at least 2 other parties" in refused.text
    assert 'value="summit"' in refused.text
    assert 'value="Moscow" checked' in refused.text
    unknown = wash.client.post("/conferences", data={**form, "party": ["Moscow", "Jakarta"]})
    assert unknown.status_code == 404
    assert "Jakarta" in unknown.text

    # Without the session's CSRF token, or without the right to send, nothing happens.
    no_csrf = wash.client.post("/conferences", data={**form, "csrf_token": ""})
    assert no_csrf.status_code == 403
    wash.login_as("wash-auditor")
    assert 'id="conference-form"' not in wash.get("/conferences").text
    denied = wash.client.post("/conferences", data={**form, "csrf_token": wash.csrf})
    assert denied.status_code == 403
    assert wash.get("/api/conferences").json() == []
