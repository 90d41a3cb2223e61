"""The Statements page's routes: list, one statement, differences, the forms, export.

Three real terminals (Washington, London, Paris) run in-process on one
blocking portal, as the console pair does, since a statement circulates in a
conference of at least three parties. Washington's console app is the one
under test; London revises, so that the page has a difference to show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from anyio.from_thread import start_blocking_portal

from hotline.console.routes.statements import PRINT_STYLESHEET, STATEMENT_MEDIA_TYPE
from hotline.console.statements import word_diff
from hotline.terminal import Operator, Terminal
from hotline.terminal.core.markings import Markings
from hotline.terminal.desks.accounts import authenticate, create_user
from hotline.terminal.desks.conferences import ConferenceDesk
from hotline.terminal.desks.statements import StatementDesk
from hotline.terminal.record.statement_audit import audit_statement

from ...terminal.helpers import make_mesh, wait_until
from ..conftest import PASSWORD, ConsoleClient, _console

PARTIES = ("Washington", "London", "Paris")
#: (user, role) on Washington.
PEOPLE = (
    ("wash-principal", "principal"),
    ("wash-signatory", "signatory"),
    ("wash-op", "operator"),
    ("wash-auditor", "auditor"),
)
TEXTS = {"en": "The three governments call for <b>restraint</b>.", "fr": "Appel au calme."}


@dataclass
class Trio:
    washington: ConsoleClient
    terminals: dict[str, Terminal]
    statement: str

    def wait(self, predicate: object, what: str) -> None:
        assert callable(predicate)
        self.washington.portal.call(lambda: wait_until(predicate, within=20, what=what))

    def read_states(self) -> set[str]:
        """Each terminal's state of the statement (on the loop that owns the stores)."""
        return {t.desk(StatementDesk).show(self.statement).state for t in self.terminals.values()}

    def states(self) -> set[str]:
        return self.washington.on_loop(self.read_states)


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[Trio]:
    directories = make_mesh(tmp_path, list(PARTIES))
    with start_blocking_portal() as portal:
        terminals = {party: portal.call(Terminal.open, d) for party, d in directories.items()}
        for terminal in terminals.values():
            portal.call(terminal.start)
        try:
            wash = terminals["Washington"]

            def people() -> dict[str, Operator]:
                for name, role in PEOPLE:
                    create_user(wash.store, wash.clock, name=name, role=role, password=PASSWORD)
                return {name: authenticate(wash.store, name, PASSWORD) for name, _ in PEOPLE}

            operators = portal.call(people)
            conference = portal.call(
                lambda: wash.desk(ConferenceDesk).convene("quint", ["London", "Paris"])
            )

            def everywhere() -> bool:
                return all(
                    t.store.get_conference(conference.id) is not None for t in terminals.values()
                )

            portal.call(lambda: wait_until(everywhere, within=20, what="the roster everywhere"))
            drafted = portal.call(
                lambda: wash.desk(StatementDesk).draft(
                    conference="quint", title="Joint statement", texts=TEXTS, authoritative="en"
                )
            )
            trio = Trio(
                washington=_console(portal, wash, operators),
                terminals=terminals,
                statement=drafted.id,
            )
            trio.wait(lambda: trio_holds(terminals, drafted.id), "the draft everywhere")
            yield trio
        finally:
            for terminal in terminals.values():
                portal.call(terminal.stop)


def trio_holds(terminals: dict[str, Terminal], statement: str) -> bool:
    return all(t.store.statement_drafts(statement) for t in terminals.values())


def test_word_diff_marks_words_and_keeps_the_rest() -> None:
    assert word_diff("call for restraint.", "call for calm restraint!") == [
        {"op": "same", "text": "call for "},
        {"op": "ins", "text": "calm "},
        {"op": "same", "text": "restraint"},
        {"op": "del", "text": "."},
        {"op": "ins", "text": "!"},
    ]
    assert word_diff("", "new") == [{"op": "ins", "text": "new"}]
    assert word_diff("same", "same") == [{"op": "same", "text": "same"}]


def test_the_pages_show_texts_side_by_side_and_each_revision_s_differences(trio: Trio) -> None:
    wash = trio.washington
    wash.login_as("wash-op")
    listing = wash.get("/statements")
    assert listing.status_code == 200
    assert f'data-statement="{trio.statement}" data-state="circulating"' in listing.text
    assert "0 of 3 (3 parties)" in listing.text

    page = wash.get(f"/statements/{trio.statement}")
    assert page.status_code == 200
    # Both languages, the authoritative one first and marked; the text escaped, never markup.
    assert page.text.index('data-language="en"') < page.text.index('data-language="fr"')
    assert 'data-testid="authoritative"' in page.text
    assert "&lt;b&gt;restraint&lt;/b&gt;" in page.text
    assert "<b>restraint</b>" not in page.text
    assert 'data-signed="false"' in page.text
    # An operator may read, not sign: no form.
    assert 'id="statement-sign-form"' not in page.text

    london = trio.terminals["London"]
    wash.portal.call(
        lambda: london.desk(StatementDesk).revise(
            trio.statement, texts={"en": "The three governments call for <i>calm</i>."}
        )
    )
    trio.wait(
        lambda: len(trio.terminals["Washington"].store.statement_drafts(trio.statement)) == 2,
        "the revision at Washington",
    )
    page = wash.get(f"/statements/{trio.statement}")
    diff = re.search(
        r'data-testid="statement-diff" data-language="en">(.*?)</div>', page.text, re.S
    )
    assert diff is not None
    # Word by word, the markup typed in the text escaped inside the marks.
    assert "&lt;<del>b</del><ins>i</ins>&gt;<del>restraint</del><ins>calm</ins>" in diff.group(1)
    assert "<i>" not in diff.group(1)
    assert 'data-language="fr"' in page.text  # unchanged: in the texts, with no difference
    assert page.text.count('data-testid="statement-diff"') == 1
    status = wash.get(f"/statements/{trio.statement}/status")
    assert status.status_code == 200
    assert 'id="statement-banner" data-state="circulating"' in status.text
    assert "<html" not in status.text


def test_the_sign_form_refuses_then_signs_with_the_person_s_password(trio: Trio) -> None:
    wash = trio.washington
    url = f"/statements/{trio.statement}/signatures"
    wash.login_as("wash-principal")
    page = wash.get(f"/statements/{trio.statement}")
    assert 'id="statement-sign-form"' in page.text

    no_csrf = wash.client.post(url, data={"password": PASSWORD})
    assert no_csrf.status_code == 403
    empty = wash.client.post(url, data={"password": "", "csrf_token": wash.csrf})
    assert empty.status_code == 422
    assert 'id="statement-error"' in empty.text
    wrong = wash.client.post(url, data={"password": "not the password", "csrf_token": wash.csrf})
    assert wrong.status_code == 401
    assert "wrong name or password" in wrong.text
    unknown = wash.client.post(
        "/statements/" + "0" * 64 + "/signatures",
        data={"password": PASSWORD, "csrf_token": wash.csrf},
    )
    assert unknown.status_code == 404
    assert trio.states() == {"circulating"}

    # An operator's session cannot sign, whatever password it knows.
    wash.login_as("wash-op")
    denied = wash.client.post(url, data={"password": PASSWORD, "csrf_token": wash.csrf})
    assert denied.status_code == 403
    assert trio.states() == {"circulating"}

    wash.login_as("wash-signatory")
    signed = wash.client.post(url, data={"password": PASSWORD, "csrf_token": wash.csrf})
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == f"/statements/{trio.statement}"
    page = wash.get(f"/statements/{trio.statement}")
    assert 'data-party="Washington" data-signed="true"' in page.text
    assert "signed by wash-signatory at" in page.text
    assert 'id="statement-signed-by-me"' in page.text
    trio.wait(lambda: trio.read_states() == {"signed"}, "the signature everywhere")
    again = wash.client.post(url, data={"password": PASSWORD, "csrf_token": wash.csrf})
    assert again.status_code == 422
    assert "signed this draft already" in again.text


def test_export_downloads_the_file_audit_verifies_and_the_print_view(trio: Trio) -> None:
    wash = trio.washington
    wash.login_as("wash-op")
    download = wash.get(f"/statements/{trio.statement}/export")
    assert download.status_code == 200
    assert download.headers["content-type"] == STATEMENT_MEDIA_TYPE
    assert (
        f'filename="statement-{trio.statement[:12]}.hotline"'
        in (download.headers["content-disposition"])
    )
    audit = audit_statement(download.content, now="2099-01-01T00:00:00Z")
    assert audit.status is not None
    assert audit.status.id == trio.statement
    printed = wash.get(f"/statements/{trio.statement}/print")
    assert printed.status_code == 200
    assert f'<link rel="stylesheet" href="{PRINT_STYLESHEET}">' in printed.text
    assert "hotline audit statement-" in printed.text
    assert wash.get("/statements/nothing/export").status_code == 404


def test_the_draft_and_revise_forms_circulate_what_was_typed(trio: Trio) -> None:
    wash = trio.washington
    london = trio.terminals["London"]
    wash.login_as("wash-auditor")
    listing = wash.get("/statements")
    assert 'id="statement-draft-form"' not in listing.text
    denied = wash.client.post("/statements", data={"csrf_token": wash.csrf, "title": "No"})
    assert denied.status_code == 403
    assert 'id="statement-revise-form"' not in wash.get(f"/statements/{trio.statement}").text

    wash.login_as("wash-op")
    listing = wash.get("/statements")
    assert 'id="statement-draft-form"' in listing.text
    assert listing.text.count('data-testid="draft-column"') == 3
    form = {
        "csrf_token": wash.csrf,
        "conference": "quint",
        "title": "Second statement",
        "language_1": "en",
        "text_1": "Calm <now>.",
        "language_2": "",
        "text_2": "Спокойствие.",
        "language_3": "",
        "text_3": "",
        "policy": "2",
    }
    # A text without its language is refused; what was typed stays in the form, escaped.
    refused = wash.client.post("/statements", data=form)
    assert refused.status_code == 422
    assert 'id="statement-draft-error"' in refused.text
    assert "give the language of the text in column 2" in refused.text
    assert "Calm &lt;now&gt;.</textarea>" in refused.text
    assert "Спокойствие.</textarea>" in refused.text
    no_csrf = wash.client.post("/statements", data={**form, "csrf_token": ""})
    assert no_csrf.status_code == 403

    drafted = wash.client.post("/statements", data={**form, "language_2": "ru"})
    assert drafted.status_code == 303, drafted.text
    location = drafted.headers["location"]
    statement = location.rsplit("/", 1)[1]
    assert statement != trio.statement

    def at_london(drafts: int) -> bool:
        return len(london.store.statement_drafts(statement)) == drafts

    trio.wait(lambda: at_london(1), "the draft at London")
    shown = wash.on_loop(lambda: london.desk(StatementDesk).show(statement).to_json())
    assert shown["texts"] == {"en": "Calm <now>.", "ru": "Спокойствие."}
    assert (shown["policy"]["k"], shown["title"], shown["drafter"]) == (
        2,
        "Second statement",
        "Washington",
    )

    # The revise form holds the current draft's texts, and one more column.
    page = wash.get(location)
    assert 'id="statement-revise-form"' in page.text
    assert page.text.count('data-testid="revise-column"') == 3
    assert 'lang="ru">Спокойствие.</textarea>' in page.text
    revision = {
        "csrf_token": wash.csrf,
        "language_1": "en",
        "text_1": "Calm <now>.",
        "language_2": "ru",
        "text_2": "Спокойствие.",
        "language_3": "",
        "text_3": "",
    }
    unchanged = wash.client.post(f"{location}/revisions", data=revision)
    assert unchanged.status_code == 422
    assert "changes no text" in unchanged.text
    revised = wash.client.post(
        f"{location}/revisions",
        data={**revision, "text_1": "Calm, now.", "language_3": "fr", "text_3": "Calme."},
    )
    assert revised.status_code == 303, revised.text
    trio.wait(lambda: at_london(2), "the revision at London")
    shown = wash.on_loop(lambda: london.desk(StatementDesk).show(statement).to_json())
    assert shown["texts"] == {"en": "Calm, now.", "fr": "Calme.", "ru": "Спокойствие."}
    page = wash.get(location)
    assert page.text.count('data-testid="statement-diff"') == 2  # en changed, fr added
    unknown = wash.client.post("/statements/" + "0" * 64 + "/revisions", data=revision)
    assert unknown.status_code == 404


def test_a_statement_drafted_on_the_form_releases_a_message_the_print_view_shows(
    trio: Trio,
) -> None:
    wash = trio.washington
    terminals = trio.terminals
    directive = "Stand down the <carrier> group."

    def send() -> str:
        conference = terminals["Washington"].desk(ConferenceDesk).show("quint").id
        sent = terminals["Washington"].send_group(
            to=["London", "Paris"],
            text=directive,
            conference=conference,
            markings=Markings(not_for_release=True),
        )
        return next(c.id for c in sent.records if c.peer == "London")

    message = wash.on_loop(send)
    trio.wait(
        lambda: terminals["London"].store.get_message(message) is not None, "the message at London"
    )
    wash.login_as("wash-principal")
    drafted = wash.client.post(
        "/statements",
        data={
            "csrf_token": wash.csrf,
            "conference": "quint",
            "title": "Release",
            "language_1": "en",
            "text_1": "The carrier group stands down.",
            "releases": message,
        },
    )
    assert drafted.status_code == 303, drafted.text
    location = drafted.headers["location"]
    statement = location.rsplit("/", 1)[1]
    assert f'href="/messages/{message}"' in wash.get(location).text
    trio.wait(
        lambda: all(t.store.statement_drafts(statement) for t in terminals.values()),
        "the draft everywhere",
    )
    # Before it is in force the print view carries no released message (it is still marked).
    assert "data-released=" not in wash.get(f"{location}/print").text

    def sign_all() -> None:
        for party, terminal in terminals.items():
            signer = f"{party.lower()}-signer"
            create_user(
                terminal.store, terminal.clock, name=signer, role="signatory", password=PASSWORD
            )
            terminal.desk(StatementDesk).sign(
                statement, authenticate(terminal.store, signer, PASSWORD)
            )

    wash.on_loop(sign_all)
    trio.wait(
        lambda: (
            terminals["Washington"].store.release_of(message) is not None
            and terminals["London"].store.release_of(message) is not None
        ),
        "the release at Washington and London",
    )
    printed = wash.get(f"{location}/print").text
    assert f'data-released="{message}"' in printed
    assert "<td>Washington</td><td>London</td>" in printed
    assert "Stand down the &lt;carrier&gt; group.</blockquote>" in printed  # escaped
    assert "<li>NOT FOR RELEASE</li>" in printed
