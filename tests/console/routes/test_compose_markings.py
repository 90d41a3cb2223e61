"""The traffic page's compose form asks for handling markings, as the conference form does.

Both forms render one shared fieldset (templates/_marking_fields.html); the
classification is a choice among the lines agreed in ``[markings]
classifications``. The form sends the embargo as a person types it; the
console's API puts it in canonical form, and refuses, naming it, one it
cannot read, so that the page can show why with what was typed kept.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.terminal import load_settings
from hotline.terminal.config import MarkingSettings
from hotline.terminal.config.settings import render_settings

from ..conftest import Pair, Template, _pair

AGREED = ("CONFIDENTIAL", "SECRET//HOTLINE")


@pytest.fixture
def marked(template: Template, tmp_path: Path) -> Iterator[Pair]:
    """The console pair, both sides agreeing :data:`AGREED` as their classifications."""
    copies = {}
    for party in ("washington", "moscow"):
        copy = tmp_path / "template" / party
        shutil.copytree(getattr(template, party), copy)
        config = copy / "hotline.toml"
        settings = load_settings(config)
        settings = dataclasses.replace(settings, markings=MarkingSettings(classifications=AGREED))
        config.write_text(render_settings(settings), encoding="utf-8")
        copies[party] = copy
    agreed = Template(
        washington=copies["washington"], moscow=copies["moscow"], operators=template.operators
    )
    yield from _pair(agreed, tmp_path / "run", start_moscow=True)


def test_the_compose_form_offers_the_markings_and_the_agreed_classifications(
    marked: Pair,
) -> None:
    wash = marked.washington
    wash.login_as("wash-op")
    traffic = wash.get("/traffic").text
    for field in ("compose-eyes-only", "compose-embargo", "compose-not-for-release"):
        assert f'id="{field}"' in traffic
    assert '<select id="compose-classification" name="classification">' in traffic
    for line in AGREED:
        assert f'<option value="{line}">{line}</option>' in traffic


def test_without_agreed_classifications_none_is_offered(pair: Pair) -> None:
    wash = pair.washington
    wash.login_as("wash-op")
    traffic = wash.get("/traffic").text
    assert 'id="compose-eyes-only"' in traffic
    assert 'id="compose-classification"' not in traffic


def test_a_typed_embargo_is_sent_canonical_and_a_bad_one_is_refused_by_name(
    marked: Pair,
) -> None:
    wash = marked.washington
    wash.login_as("wash-op")
    sent = wash.send(
        "Statement at noon",
        markings={
            "eyes_only": ["mos-principal"],
            "embargoed_until": "2030-01-02 12:00+00:00",
            "classification": "SECRET//HOTLINE",
            "not_for_release": True,
        },
    )
    assert sent["marking"]["banner"] == [
        "SECRET//HOTLINE",
        "EYES ONLY mos-principal",
        "EMBARGOED UNTIL 2030-01-02T12:00:00.000000Z",
        "NOT FOR RELEASE",
    ]
    assert sent["marking"]["embargo_until"] == "2030-01-02T12:00:00.000000Z"

    for embargo, reason in (("noon", "not a date and time"), ("2030-01-02T12:00", "zone")):
        refused = wash.post(
            "/api/messages",
            {"to": "Moscow", "text": "x", "markings": {"embargoed_until": embargo}},
        )
        assert refused.status_code == 422, refused.text
        assert "embargoed until" in refused.json()["detail"]
        assert reason in refused.json()["detail"]
    unagreed = wash.post(
        "/api/messages",
        {"to": "Moscow", "text": "x", "markings": {"classification": "TOP SECRET"}},
    )
    assert unagreed.status_code == 422
    assert "SECRET//HOTLINE" in unagreed.json()["detail"]
