"""Languages: every word of the interface translated into Indonesian and Russian, and dates.

The msgids are found the way a translator's tools find them: Babel's
extractors over the templates (Jinja2) and the console's Python (``_``,
``gettext``, ``N_``), plus every ``t("...")`` that console.js, notify.js, call.js and callboard.js ask for.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from hotline.console import (
    CLIENT_MSGIDS,
    LOCALE_DIR,
    STATIC_DIR,
    format_moment,
    format_utc_text,
    load_catalogues,
    negotiate_language,
)
from hotline.errors import ConfigError, InvalidArgument
from hotline.terminal import UI_LANGUAGES

CONSOLE_DIR = Path(LOCALE_DIR).parent
METHODS = [("templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
JS_CALL = re.compile(r'(?<![\w.$])t\("((?:[^"\\]|\\.)*)"')


def key(msgid: object, context: str | None) -> str:
    """A message's key: its msgid, after its context and gettext's EOT where it has one."""
    assert isinstance(msgid, str), f"plural message {msgid!r}"  # the console has none
    return f"{context}\x04{msgid}" if context else msgid


def used_msgids() -> dict[str, str]:
    """msgid (with its context, see :func:`key`) -> where it is first used."""
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(CONSOLE_DIR),
        method_map=METHODS,
        # pgettext: one English word with two meanings ("To": a recipient, an end date).
        keywords={"_": None, "gettext": None, "N_": None, "pgettext": ((1, "c"), 2)},
        options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        assert isinstance(message, str), f"{filename}:{lineno}: plural forms are not used"
        found.setdefault(key(message, context), f"{filename}:{lineno}")
    return found


SCRIPTS = ("console.js", "notify.js", "call.js", "callboard.js")


def javascript_msgids() -> set[str]:
    found: set[str] = set()
    for script in SCRIPTS:
        found |= set(JS_CALL.findall((Path(STATIC_DIR) / script).read_text(encoding="utf-8")))
    return found


def catalogue(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "console.po").open("rb") as po:
        return read_po(po, locale=language)


def test_the_extraction_finds_templates_python_and_javascript() -> None:
    used = used_msgids()
    assert "Log in" in used  # login.html
    assert "Wrong name or password." in used  # routes/auth.py
    assert "Operator" in used  # routes/pages.py
    assert "queued (line down)" in used  # i18n.CLIENT_MSGIDS
    assert {"acknowledged by %(name)s at %(time)s", "FLASH"} <= javascript_msgids()
    assert {"to be decided", "Add %(what)s"} <= javascript_msgids()  # notify.js
    assert {"Video call with %(party)s", "ended: %(outcome)s"} <= javascript_msgids()  # call.js
    assert {"No calls yet.", "waiting for an answer"} <= javascript_msgids()  # callboard.js
    assert "Reports" in used  # base.html
    assert "To" in used  # the recipient (traffic.html)
    assert "report end date\x04To" in used  # reports.html: a different word in Russian
    assert len(used) > 100


def test_the_scripts_ask_only_for_strings_the_page_carries() -> None:
    assert javascript_msgids() - set(CLIENT_MSGIDS) == set()


@pytest.mark.parametrize("language", ["id", "ru"])
def test_every_msgid_used_has_a_translation(language: str) -> None:
    messages = {key(m.id, m.context): m for m in catalogue(language) if m.id}
    used = used_msgids()
    missing = {msgid: where for msgid, where in used.items() if msgid not in messages}
    assert missing == {}
    untranslated = sorted(m.id for m in messages.values() if not m.string or m.fuzzy)
    assert untranslated == []


@pytest.mark.parametrize("language", list(UI_LANGUAGES))
def test_the_catalogue_holds_no_stale_msgid(language: str) -> None:
    ids = {key(m.id, m.context) for m in catalogue(language) if m.id}
    assert ids == set(used_msgids())


PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("language", ["id", "ru"])
def test_translations_keep_every_placeholder(language: str) -> None:
    catalog = catalogue(language)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        # The console has no plural messages (their id and string are tuples,
        # one per form); this check reads singular ones only.
        assert isinstance(message.id, str), f"plural message {message.id!r}"
        assert isinstance(message.string, str), f"plural translation of {message.id!r}"
        wanted = sorted(PLACEHOLDER.findall(message.id))
        if sorted(PLACEHOLDER.findall(message.string)) != wanted:
            problems.append(f"{message.id!r} -> {message.string!r}")
        if message.python_format:
            try:
                python_format(catalog, message)
            except Exception as exc:  # TranslationError: the types disagree
                problems.append(f"{message.id!r}: {exc}")
    assert problems == []


def test_the_catalogues_load_and_translate() -> None:
    catalogues = load_catalogues()
    assert catalogues.gettext("id", "Traffic") == "Lalu lintas"
    assert catalogues.gettext("ru", "Traffic") == "Трафик"
    assert catalogues.gettext("en", "Traffic") == "Traffic"
    assert (
        catalogues.gettext("ru", "acknowledged by %(name)s at %(time)s")
        % {
            "name": "mos-op",
            "time": "1200Z",
        }
        == "подтверждено: mos-op, 1200Z"
    )
    with pytest.raises(InvalidArgument):
        catalogues.gettext("de", "Traffic")


def test_client_strings_cover_every_client_msgid() -> None:
    strings = load_catalogues().client_strings("id")
    assert set(strings) == set(CLIENT_MSGIDS)
    assert strings["FLASH"] == "KILAT"
    assert all(strings.values())


def test_a_missing_catalogue_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_catalogues(tmp_path)


# -- choosing a language before login -------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("de-DE,de;q=0.9,id;q=0.5", "id"),
        ("en;q=0.2, ru;q=0.8", "ru"),
        ("fr, de", "en"),
        ("id;q=0, en", "en"),
        ("ru;q=nonsense, id", "id"),
    ],
)
def test_negotiate_language(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected


@given(st.text(max_size=200))
def test_negotiation_always_gives_an_interface_language(header: str) -> None:
    assert negotiate_language(header) in UI_LANGUAGES


# -- dates ----------------------------------------------------------------------------


def test_times_are_formatted_for_the_language_and_always_in_utc() -> None:
    moment = datetime(2026, 11, 23, 16, 0, 1, tzinfo=UTC)
    assert format_moment(moment, "en") == "Nov 23, 2026 16:00:01Z"
    assert format_moment(moment, "id") == "23 Nov 2026 16:00:01Z"
    # CLDR puts a narrow no-break space between the year and its abbreviation in Russian.
    assert format_moment(moment, "ru") == "23 нояб. 2026\u202f\u0433. 16:00:01Z"
    moscow = moment.astimezone(timezone(timedelta(hours=3)))
    assert format_moment(moscow, "en") == "Nov 23, 2026 16:00:01Z"
    with pytest.raises(ValueError, match="naive"):
        format_moment(datetime(2026, 11, 23), "en")


def test_stored_timestamps_are_formatted_and_odd_ones_shown_raw() -> None:
    assert format_utc_text("2026-11-23T16:00:01.000000Z", "en") == "Nov 23, 2026 16:00:01Z"
    assert format_utc_text(None, "en") is None
    assert format_utc_text("yesterday", "ru") == "yesterday"
