# ruff: noqa: RUF001
# Russian words are what these renderings must say.
"""The Record page, ``/api/record``, and the export form: what each role sees and may do."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from hotline.console import ExportRequest, export_filename
from hotline.errors import InvalidArgument
from hotline.store import RecordConflictRecord
from hotline.utc import format_utc

from ..conftest import ConsoleClient, Pair
from .test_pages import data_block


def _cosigned(console: ConsoleClient, pair: Pair) -> dict[str, Any]:
    """Wait until the peer cosigned our checkpoint and we witnessed its log; the record then."""

    store = console.terminal.store

    def done() -> bool:  # runs on the loop that owns the store
        return bool(store.latest_cosignatures()) and bool(store.latest_witnessed_all())

    pair.wait_until(done, what="both logs witnessed", within=20)
    record: dict[str, Any] = console.get("/api/record").json()
    return record


def _export(console: ConsoleClient, csrf: str | None = None, **fields: str) -> httpx.Response:
    form = {"peer": "", "since": "", "until": "", "ids": "", **fields}
    form["csrf_token"] = console.csrf if csrf is None else csrf
    return console.client.post("/record/export", data=form)


def _conflict(console: ConsoleClient) -> None:
    conflict = RecordConflictRecord(
        id=None,
        log="Moscow",
        peer="Moscow",
        kind="rollback",
        detected_at=format_utc(console.terminal.clock.now()),
        known=b"held note",
        offered=b"offered note",
        proof=(),
        detail="Moscow offered 3 entries after we cosigned 9",
    )
    console.on_loop(lambda: console.terminal.store.add_record_conflict(conflict))


def test_every_page_links_the_record(wash: ConsoleClient) -> None:
    for path in ("/", "/traffic", "/record"):
        assert 'id="nav-record" href="/record"' in wash.get(path).text, path
    assert re.search(r'id="nav-record" href="/record" class="current"', wash.get("/record").text)


def test_the_record_page_shows_the_log_its_witnesses_and_the_form(
    wash: ConsoleClient, pair: Pair
) -> None:
    wash.send("for the record")
    api = _cosigned(wash, pair)
    assert api["origin"].startswith("hotline/Washington/")
    checkpoint = api["checkpoint"]
    assert checkpoint["note"].startswith(api["origin"] + "\n")
    assert checkpoint["display"]["issued_at"].endswith("Z")
    [cosigner] = api["cosigners"]
    assert cosigner["peer"] == "Moscow"
    assert cosigner["behind"] == checkpoint["size"] - cosigner["size"] >= 0
    # The age in words, in the reader's language; the raw seconds beside it.
    assert re.fullmatch(r"\d+ (second|minute|hour|day)s?", cosigner["display"]["age"])
    assert isinstance(cosigner["age_seconds"], float)
    [witnessed] = api["witnessed"]
    assert witnessed["peer"] == "Moscow"
    assert len(witnessed["root"]) == 64
    assert api["never_cosigned"] == []
    assert api["conflicts"] == 0

    html = wash.get("/record").text
    shown = data_block(html, "record-data")
    assert shown["origin"] == api["origin"]
    assert data_block(html, "conflicts-data") == []
    for hook in (
        'id="record-origin"',
        'id="record-entries"',
        'id="record-tree-size"',
        'id="record-conflicts-link" href="#conflicts"',
        '<pre id="checkpoint-note"',
        'id="cosigner-template"',
        'id="witnessed-template"',
        'id="conflict-template"',
        '<form id="export-form" class="export-form" method="post" action="/record/export">',
        f'<input type="hidden" name="csrf_token" value="{wash.csrf}">',
        '<option value="" selected>All peers</option>',
        '<option value="Moscow">Moscow</option>',
        'id="export-since" name="since"',
        'id="export-until" name="until"',
        'id="export-ids" name="ids"',
        'id="export-download"',
    ):
        assert hook in html, hook
    assert 'id="export-error"' not in html


def test_a_peer_that_never_cosigned_is_listed_as_such(alone: ConsoleClient) -> None:
    record = alone.get("/api/record").json()
    assert record["cosigners"] == []
    assert record["never_cosigned"] == ["Moscow"]
    assert record["witnessed"] == []


def test_the_record_speaks_the_readers_language(pair: Pair) -> None:
    moscow = pair.moscow
    moscow.login_as("mos-principal")  # Russian
    _cosigned(moscow, pair)
    [cosigner] = moscow.get("/api/record").json()["cosigners"]
    assert re.fullmatch(r"\d+ \w+", cosigner["display"]["age"])
    assert re.search(r"[а-я]", cosigner["display"]["age"])
    html = moscow.get("/record").text
    assert "Общая запись" in html
    assert "Скачать пакет" in html
    strings = data_block(html, "console-strings")
    assert strings["Record conflict"] == "Расхождение в записи"


def test_conflicts_are_counted_and_listed(wash: ConsoleClient) -> None:
    _conflict(wash)
    assert wash.get("/api/record").json()["conflicts"] == 1
    [conflict] = wash.get("/api/record/conflicts").json()
    assert conflict["kind"] == "rollback"
    assert conflict["log"] == conflict["peer"] == "Moscow"
    assert conflict["detail"] == "Moscow offered 3 entries after we cosigned 9"
    assert conflict["display"]["detected_at"].endswith("Z")
    assert "known" not in conflict
    assert "offered" not in conflict
    assert data_block(wash.get("/record").text, "conflicts-data") == [conflict]


@pytest.mark.parametrize("user", ["wash-principal", "wash-auditor", "wash-admin"])
def test_every_reader_sees_the_record(pair: Pair, user: str) -> None:
    console = pair.washington
    console.login_as(user)
    assert console.get("/record").status_code == 200
    assert console.get("/api/record").status_code == 200
    assert console.get("/api/record/conflicts").status_code == 200


def test_the_record_needs_a_session(pair: Pair) -> None:
    console = pair.washington
    assert console.get("/api/record").status_code == 401
    assert console.get("/record").status_code in (302, 303, 307)
    assert console.client.post("/record/export", data={"peer": ""}).status_code in (
        302,
        303,
        307,
        401,
    )


def test_an_export_without_the_csrf_token_is_refused(wash: ConsoleClient) -> None:
    response = _export(wash, csrf="")
    assert response.status_code == 403
    assert "Content-Disposition" not in response.headers
    assert _export(wash, csrf="not-the-token").status_code == 403


def test_a_bad_time_is_shown_in_the_form_and_nothing_is_sent(wash: ConsoleClient) -> None:
    response = _export(wash, since="yesterday", ids="abc def")
    assert response.status_code == 422
    assert "Content-Disposition" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    error = re.search(r'<p id="export-error" class="form-error" role="alert">(.*?)</p>', html)
    assert error is not None
    assert "since must be a UTC time" in error.group(1)
    assert "yesterday" in error.group(1)
    # The values stay in the form, to correct.
    assert 'id="export-since" name="since" type="text" value="yesterday"' in html
    assert ">abc def</textarea>" in html


def test_the_form_reads_times_as_utc_and_ids_by_whitespace() -> None:
    request = ExportRequest.parse(
        peer=" Moscow ", since="2026-11-23T14:00Z", until="2026-11-23 18:30:05", ids=" a\nb  c\t"
    )
    assert request == ExportRequest(
        peer="Moscow",
        since="2026-11-23T14:00:00.000000Z",
        until="2026-11-23T18:30:05.000000Z",
        ids=("a", "b", "c"),
    )
    stored = "2026-11-23T14:00:00.123456Z"
    assert ExportRequest.parse(peer="", since=stored, until="", ids="").since == stored
    everything = ExportRequest.parse(peer="", since="", until=" ", ids="")
    assert everything == ExportRequest(peer=None, since=None, until=None, ids=())
    for bad in ("2026-13-01T00:00Z", "1400Z", "2026-11-23"):
        with pytest.raises(InvalidArgument, match="until"):
            ExportRequest.parse(peer="", since="", until=bad, ids="")


def test_the_bundle_is_named_after_the_party_and_the_time() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC)
    assert export_filename("Washington", now) == "Washington-record-20261123T160001Z.json"
    assert export_filename('Ne"w York', now) == "Ne_w_York-record-20261123T160001Z.json"


def test_the_export_downloads_the_bundle(wash: ConsoleClient, pair: Pair) -> None:
    message = wash.send("to be exported")
    _cosigned(wash, pair)
    for fields in ({}, {"peer": "Moscow"}, {"ids": message["id"]}):
        response = _export(wash, **fields)
        assert response.status_code == 200, response.text
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(
            r'attachment; filename="Washington-record-\d{8}T\d{6}Z\.json"', disposition
        )
        assert response.headers["content-type"].startswith("application/json")
        json.loads(response.content)  # a bundle is one JSON document


def test_a_refused_export_is_shown_in_the_form(wash: ConsoleClient) -> None:
    response = _export(wash, peer="Atlantis")
    assert 400 <= response.status_code < 500
    assert "Content-Disposition" not in response.headers
    assert 'id="export-error"' in response.text
