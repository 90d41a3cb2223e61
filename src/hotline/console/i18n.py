"""The console's languages: gettext catalogues in English, Indonesian and Russian, and dates.

Watch officers work in their own language (MOLINK had a translator on every
shift), so every word of the interface comes from a gettext catalogue,
``console/locale/<lang>/LC_MESSAGES/console.po``. The ``.po`` files are read
with Babel and turned into translations in memory (through an in-memory
``.mo``), so there is no compile step and nothing generated to forget.

Three rules:

* **Message texts are never translated or altered.** Only the interface is; a
  message is shown exactly as it was signed.
* **Times are UTC ("ZULU").** They are formatted for the reader's language
  (Babel's CLDR data: month names, order) but always in UTC with a ``Z``; the
  protocol's own forms (time groups, RFC 3339) are shown as they are.
* **The browser gets its strings from the server.** ``console.js`` looks up
  every word it shows in a table the page carries (:meth:`Catalogues.client_strings`),
  built from :data:`CLIENT_MSGIDS`, so the JavaScript holds no language at all.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from hotline.errors import ConfigError, InvalidArgument
from hotline.terminal import UI_LANGUAGES
from hotline.utc import parse_utc

__all__ = [
    "CLIENT_MSGIDS",
    "DEFAULT_LANGUAGE",
    "DOMAIN",
    "LANGUAGE_NAMES",
    "LOCALE_DIR",
    "Catalogues",
    "N_",
    "format_moment",
    "format_utc_text",
    "load_catalogues",
    "negotiate_language",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "console"
DEFAULT_LANGUAGE = "en"
#: Each language named in itself: the switcher shows these in every language.
LANGUAGE_NAMES: Mapping[str, str] = {"en": "English", "id": "Bahasa Indonesia", "ru": "Русский"}


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it here."""
    return msgid


#: Every string the scripts (``console.js``, ``notify.js``, ``call.js``, ``callboard.js``)
#: show, by msgid. The page carries their translations; tests check that the scripts
#: ask for no other.
CLIENT_MSGIDS: tuple[str, ...] = (
    N_("Embargoed: public in %(time)s"),
    N_("Embargo over"),
    N_("%(time)s left to acknowledge"),
    N_("overdue by %(time)s"),
    N_("in use"),
    N_("last used %(time)s"),
    N_("not used yet"),
    N_("our address; %(peer)s dials it"),
    N_("%(peer)s's test arrived at %(time)s"),
    N_("No receipt came in time for a link test on route %(route)s."),
    N_("%(peer)s reports that a link test from it got no receipt in time."),
    N_("No route to %(peer)s works; messages wait until one does."),
    N_("Route %(route)s is down; the other routes carry the traffic."),
    N_("A message waits past its deadline for a person's acknowledgement."),
    N_("%(peer)s holds a record that disagrees with ours."),
    N_("%(peer)s has not cosigned our record in time."),
    N_("Stored messages failed their checks."),
    N_("This terminal was restored behind what %(peer)s holds."),
    N_("%(peer)s revoked one of its keys: read the detail."),
    N_("Something signed by a key %(peer)s revoked arrived and was refused."),
    N_("Our %(route)s key expires soon: rotate it, as the detail says."),
    N_("The terminal refused what was entered."),
    N_("This message cannot be released."),
    N_("The statement was refused."),
    N_("There is no such notification format."),
    N_("That party is not a peer of this terminal."),
    N_("That party has been removed: its line is refused."),
    N_("There is no such message here."),
    N_("There is no such statement here."),
    N_("The message is too large for the line."),
    N_("The call cannot do that in its present state."),
    N_("Wrong password."),
    N_("Your role does not allow this."),
    N_("This terminal is no longer the active one."),
    N_("Text withheld: eyes only"),
    N_("classification not agreed"),
    N_("Released %(time)s"),
    N_("Released."),
    N_("%(ms)s ms"),
    N_("acknowledged"),
    N_("acknowledged by %(name)s at %(time)s"),
    N_("restricted to channel %(channel)s"),
    N_("Acknowledgement overdue"),
    N_("Add %(what)s"),
    N_("ALARM: %(count)s open alarm(s) not acknowledged"),
    N_("carrying"),
    N_("choose…"),
    N_("degraded"),
    N_("delivered"),
    N_("delivered — nobody has acknowledged it yet"),
    N_("down"),
    N_("due %(time)s"),
    N_("Enable sound"),
    N_("EXERCISE"),
    N_("Failed: %(reason)s"),
    N_("FLASH"),
    N_("Give one of:"),
    N_("IMMEDIATE"),
    N_("in"),
    N_("Last test: %(result)s at %(time)s"),
    N_("Line down"),
    N_("Route down"),
    N_("Stored messages damaged"),
    N_("Restored behind the peer"),
    N_("Key revoked"),
    N_("Revoked key used"),
    N_("Key expiring"),
    N_("Link test missed"),
    N_("Message %(id)s: %(state)s"),
    N_("Message %(serial)s, %(time)s, %(direction)s %(peer)s, %(precedence)s"),
    N_("missed"),
    N_("never"),
    N_("No link test yet"),
    N_("No messages yet."),
    N_("No notes yet."),
    N_("No open alarms."),
    N_("No problems found."),
    N_("no receipt yet"),
    N_("no samples yet"),
    N_("not delivered"),
    N_("Not sent: %(count)s problem(s) to correct."),
    N_("not yet acknowledged"),
    N_("optional"),
    N_("out"),
    N_("OVERDUE"),
    N_("passed"),
    N_("Peer's link test missed"),
    N_("PRIORITY"),
    N_("queued"),
    N_("queued (line down)"),
    N_("receipt does not verify: %(reason)s"),
    N_("receipt verified, received at %(time)s"),
    N_("received"),
    N_("Remove"),
    N_("ROUTINE"),
    N_("Saved."),
    N_("seen by %(name)s"),
    N_("Sending…"),
    N_("sent"),
    N_("signature does not verify"),
    N_("signature does not verify: %(reason)s"),
    N_("signature verified"),
    N_("silent"),
    N_("since %(time)s"),
    N_("Sound on"),
    N_("standby"),
    N_("The connection to the terminal was lost; retrying."),
    N_("to be decided"),
    N_("up"),
    N_("UTC, like 2026-11-23T14:00Z"),
    # the Record page (console.js)
    N_("%(age)s ago"),
    N_("%(count)s entries behind"),
    N_("%(party)s's log"),
    N_("Bad consistency proof"),
    N_("Bad signature"),
    N_("Fork"),
    N_("never cosigned"),
    N_("No checkpoint yet."),
    N_("No conflicts."),
    N_("No peer's log witnessed yet."),
    N_("No peers yet."),
    N_("our log"),
    N_("Record conflict"),
    N_("Record not cosigned"),
    N_("Rollback"),
    N_("up to date"),
    # call.js and callboard.js
    N_("%(fps)s fps"),
    N_("%(frames)s frames decoded"),
    N_("%(packets)s audio packets received"),
    N_("%(party)s requests the principal at the machine (channel %(channel)s)"),
    N_("%(party)s: the principal is at the machine — %(name)s at %(time)s"),
    N_("Asked %(party)s for the principal at the machine."),
    N_("audio"),
    N_("Audio call from %(party)s on channel %(channel)s"),
    N_("Audio call with %(party)s"),
    N_("calling"),
    N_("completed"),
    N_("connected"),
    N_("declined"),
    N_("ended"),
    N_("ended: %(outcome)s"),
    N_("failed"),
    N_("first frame %(ms)s ms after the click"),
    N_("Hang up the call in progress first."),
    N_("No calls yet."),
    N_("No presence requests yet."),
    N_("Preparing camera and microphone…"),
    N_("reconnecting"),
    N_("ringing"),
    N_("RTT %(ms)s ms"),
    N_("the caller's offer has not arrived"),
    N_("The principal is at the machine"),
    N_("the principal is at the machine: %(name)s at %(time)s"),
    N_(
        "This browser will not give this page a camera or microphone: the console must be "
        "served over HTTPS, or opened on 127.0.0.1 or localhost (see docs/console.md)."
    ),
    N_("video"),
    N_("Video call from %(party)s on channel %(channel)s"),
    N_("Video call with %(party)s"),
    N_("waiting for an answer"),
)


class Catalogues:
    """The interface's translations, one per language, read from ``.po`` files."""

    def __init__(self, translations: Mapping[str, Translations]) -> None:
        missing = [language for language in UI_LANGUAGES if language not in translations]
        if missing:
            raise ConfigError(f"no console catalogue for {', '.join(missing)}")
        self._translations = dict(translations)

    @property
    def languages(self) -> tuple[str, ...]:
        return UI_LANGUAGES

    def translations(self, language: str) -> Translations:
        """The catalogue for ``language``; InvalidArgument for a language the console lacks."""
        try:
            return self._translations[language]
        except KeyError:
            raise InvalidArgument(
                f"language must be one of {', '.join(UI_LANGUAGES)}, not {language!r}"
            ) from None

    def gettext(self, language: str, msgid: str) -> str:
        return self.translations(language).gettext(msgid)

    def client_strings(self, language: str) -> dict[str, str]:
        """``{msgid: translation}`` for every string console.js shows."""
        translations = self.translations(language)
        return {msgid: translations.gettext(msgid) for msgid in CLIENT_MSGIDS}


def _load_po(path: Path, language: str) -> Translations:
    try:
        with path.open("rb") as po:
            catalog = read_po(po, locale=language, domain=DOMAIN)
    except FileNotFoundError:
        raise ConfigError(f"the console catalogue {path} is missing") from None
    except (OSError, ValueError) as exc:  # Babel reports a malformed .po as ValueError
        raise ConfigError(f"the console catalogue {path} cannot be read: {exc}") from exc
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def load_catalogues(directory: Path = LOCALE_DIR) -> Catalogues:
    """Read ``<directory>/<lang>/LC_MESSAGES/console.po`` for every interface language."""
    return Catalogues(
        {
            language: _load_po(directory / language / "LC_MESSAGES" / f"{DOMAIN}.po", language)
            for language in UI_LANGUAGES
        }
    )


def negotiate_language(accept_language: str | None) -> str:
    """The best interface language for an ``Accept-Language`` header (before anyone logs in)."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language.split(",")[:32]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if primary in UI_LANGUAGES and quality > 0:
            # Highest quality first; among equals, the order the browser sent.
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def format_moment(moment: datetime, language: str) -> str:
    """A UTC moment for a reader of ``language``: ``Nov 23, 2026 16:00:01Z`` (in English)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: console times must be timezone-aware")
    moment = moment.astimezone(UTC)
    day = format_date(moment, "medium", locale=language)
    clock = format_time(moment, "HH:mm:ss", tzinfo=UTC, locale=language)
    return f"{day} {clock}Z"


def format_utc_text(text: str | None, language: str) -> str | None:
    """:func:`format_moment` of a stored UTC timestamp; None stays None, a bad one is shown raw."""
    if text is None:
        return None
    try:
        moment = parse_utc(text)
    except ValueError:
        return text  # shown as stored rather than hidden: an operator may need to see it
    return format_moment(moment, language)
