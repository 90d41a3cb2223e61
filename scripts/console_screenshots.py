"""Screenshots of the operator console's main views, for the README: docs/screenshots/*.png.

Runs the same pair of terminals as the browser tests (Washington and Moscow,
real ``hotline run`` processes, tests/console/browser/harness.py), drives a
little traffic through the consoles themselves (a FLASH that Moscow
acknowledges, an EXERCISE message, a reply from Moscow), writes a handover
note, and saves each main view at 1280x800 with Debian's chromium:

    login.png        the login page
    line.png         the line view (routes, round trips, link tests, clocks)
    traffic.png      the traffic view with the compose form
    message.png      a message's detail, acknowledged by Moscow's operator
    shift.png        the shift log with a signed handover note
    traffic-id.png   Moscow's traffic view in Bahasa Indonesia
    line-ru.png      Moscow's line view in Russian
    watch-floor.png  the watch floor (wall screen): lines, alarms, countdowns to acknowledgement
    watch-floor-ru.png     Moscow's watch floor in Russian
    traffic-ru.png, message-ru.png  Moscow's traffic view and a message in Russian
    *-phone.png      line, watch floor, traffic and message (EN and RU) on a 390 px phone
    notify.png       the flight notification form, generated from the format, filled in
    notification-ru.png  that notification's detail in Moscow, rendered in Russian
    reports.png      the reports page: notification counts, CSV downloads
    record.png       the Record page: the log, its newest checkpoint, who cosigned it, export
    channels.png     the Channels page: a restricted channel, its members, Moscow's announced ones
    marked-message.png     an EYES ONLY, embargoed, classified message: banner and countdown
    marked-message-id.png  the same message read in Bahasa Indonesia

and then, with three terminals (Washington, Moscow, London, a full mesh):

    conferences.png  a conference convened from the console: roster, the live grid, the
                     slowest recipient (London, stopped), the send form with its markings
    conference-ru.png      the same conference on Moscow's console, in Russian

and with three more (Washington, London, Paris), a joint statement:

    statements.png   the Statements page: one in force, one circulating
    statement.png    a statement: English and French side by side, London's revision's
                     differences, who has signed and who has not (Washington signs on the page)
    statement-ru.png       the statement in force, on Paris's console in Russian
    statement-id.png       the statement on London's console in Indonesian, signed by London
                           and Washington: the revise form pre-filled with the current draft

Run from the repository root: ``.venv/bin/python scripts/console_screenshots.py``
(``--out DIR`` to write elsewhere; ``--only-pair`` for the pair's views alone).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright  # noqa: E402
from tests.cli.helpers import hotline  # noqa: E402
from tests.console.browser.harness import (  # noqa: E402
    CLASSIFICATIONS,
    ConsolePair,
    User,
    _add_user,
    console_mesh,
    console_pair,
    wait_for,
)
from tests.console.browser.pages import (  # noqa: E402
    CHROMIUM,
    VIEWPORT,
    acknowledge,
    call_state,
    compose,
    fill_flight,
    login,
    message_row,
    open_message,
    place_call,
    set_language,
)

#: A phone's viewport (CSS px), as the responsive tests measure.
PHONE: ViewportSize = {"width": 390, "height": 844}

FLASH = (
    "The Chairman of the Joint Chiefs of Staff requests a telephone call with the Chief of the "
    "General Staff today, for risk reduction and operational deconfliction."
)
EXERCISE = "EXERCISE EXERCISE EXERCISE. Drill: confirm receipt of this test traffic by 1600Z."
REPLY = (
    "The Chief of the General Staff agrees to a call today at 1400Z. The agenda should include "
    "the flights of strategic bombers near our state border."
)
NOTE = (
    "Handover 0800Z: line up on both routes. FLASH 1 (call request) acknowledged by Moscow. "
    "Call agreed for 1400Z; interpreters still to be confirmed. Drill traffic is marked EXERCISE."
)


MARKED = (
    "For the two duty officers only: the Minister's aircraft lands at Vnukovo at 1900Z. "
    "The visit is announced once the embargo ends."
)
CONFERENCE_REPORT = "Situation report 1: all three lines up; the joint statement is drafted."
CONFERENCE_FOLLOW_UP = "Situation report 2: London to confirm the wording by 1700Z."
#: The three parties of the conference screenshots, and one console user on each.
MESH = (
    ("Washington", "America/New_York"),
    ("Moscow", "Europe/Moscow"),
    ("London", "Europe/London"),
)
MESH_USERS = (
    User(name="wash-op", party="Washington", role="operator"),
    User(name="mos-op-ru", party="Moscow", role="operator", language="ru"),
    User(name="lon-op", party="London", role="operator"),
)


STATEMENT_PARTIES = (
    ("Washington", "America/New_York"),
    ("London", "Europe/London"),
    ("Paris", "Europe/Paris"),
)
STATEMENT_USERS = (
    User(name="was-principal", party="Washington", role="principal"),
    User(name="lon-principal-id", party="London", role="principal", language="id"),
    User(name="par-principal-ru", party="Paris", role="principal", language="ru"),
)
STATEMENT_TEXTS = {
    "en": (
        "The Governments of the United States, the United Kingdom and France call for "
        "restraint by all parties and an immediate return to talks."
    ),
    "fr": (
        "Les gouvernements des États-Unis, du Royaume-Uni et de la France appellent toutes "
        "les parties à la retenue et à une reprise immédiate des pourparlers."
    ),
}
STATEMENT_REVISED_EN = (
    "The Governments of the United States, the United Kingdom and France call for "
    "calm by all parties and an immediate return to talks in Geneva."
)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class Camera:
    """Opens pages in fresh browser contexts and saves what they show."""

    def __init__(self, browser: Browser, out: Path) -> None:
        self.browser = browser
        self.out = out

    def page(self) -> Page:
        context = self.browser.new_context(
            viewport=VIEWPORT, locale="en-US", ignore_https_errors=True
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    def shoot(self, page: Page, name: str, *, full_page: bool = False) -> None:
        # Let the live refresh that follows a load finish, and the clocks tick once.
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(600)
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        _say(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    def shoot_both(self, page: Page, name: str) -> None:
        """``name``.png at the desktop size, and ``name``-phone.png at 390 px (the whole page)."""
        self.shoot(page, name)
        page.set_viewport_size(PHONE)
        try:
            self.shoot(page, f"{name}-phone", full_page=True)
        finally:
            page.set_viewport_size(VIEWPORT)


class Shooter(Camera):
    """A camera on the pair: opens pages as its console users."""

    def __init__(self, browser: Browser, pair: ConsolePair, out: Path) -> None:
        super().__init__(browser, out)
        self.pair = pair

    def as_user(self, user: str) -> Page:
        page = self.page()
        login(page, self.pair.url(user), self.pair.users[user])
        return page


def _drive(shooter: Shooter) -> None:
    pair = shooter.pair
    out = shooter.out
    out.mkdir(parents=True, exist_ok=True)

    login_page = shooter.page()
    login_page.goto(f"{pair.washington.url}/login")
    shooter.shoot(login_page, "login")
    login_page.context.close()

    washington = shooter.as_user("wash-op")
    moscow = shooter.as_user("mos-op")
    set_language(washington, "en")
    set_language(moscow, "en")

    # Traffic, through the consoles: a FLASH (acknowledged), an EXERCISE, a reply.
    washington.goto(f"{pair.washington.url}/traffic")
    moscow.goto(f"{pair.moscow.url}/traffic")
    flash = compose(washington, to="Moscow", text=FLASH, precedence="flash")
    exercise = compose(washington, to="Moscow", text=EXERCISE, precedence="priority", exercise=True)
    reply = compose(moscow, to="Washington", text=REPLY, precedence="immediate")
    for message_id in (flash, exercise):
        expect(message_row(moscow, message_id)).to_be_attached()
    open_message(moscow, flash)
    acknowledge(moscow, "mos-op")
    expect(message_row(washington, reply)).to_be_attached()
    expect(message_row(washington, flash)).to_have_attribute("data-state", "acknowledged")
    expect(message_row(washington, exercise)).to_have_attribute("data-state", "delivered")

    # A link test of both routes, some round trips for the sparklines, then the views.
    results = pair.washington.run_tests()
    assert results, "no routes were tested"
    assert all(result["ok"] for result in results), results
    washington.goto(f"{pair.washington.url}/")
    wait_for(
        lambda: all(
            route["rtt_ms"] is not None
            for peer in pair.washington.status()["peers"]
            for route in peer["routes"]
        ),
        what="round trips on every route",
    )
    time.sleep(2)
    washington.reload()
    expect(washington.locator("[data-testid=peer-Moscow]")).to_have_attribute("data-state", "up")
    shooter.shoot_both(washington, "line")

    # The watch floor: the reply and the EXERCISE message still wait, counting down.
    washington.goto(f"{pair.washington.url}/floor")
    expect(washington.locator("[data-testid=floor-message]").first).to_be_visible()
    shooter.shoot_both(washington, "watch-floor")

    washington.goto(f"{pair.washington.url}/traffic")
    expect(message_row(washington, flash)).to_be_attached()
    shooter.shoot_both(washington, "traffic")

    open_message(washington, flash)
    expect(washington.locator("#ack-status")).to_contain_text("acknowledged by mos-op")
    shooter.shoot_both(washington, "message")

    washington.click("#nav-shift")
    washington.fill("#note-text", NOTE)
    washington.click("#note-save")
    expect(washington.locator("[data-testid=note]").first).to_contain_text("Handover 0800Z")
    shooter.shoot(washington, "shift")

    indonesian = shooter.as_user("mos-op-id")
    indonesian.goto(f"{pair.moscow.url}/traffic")
    expect(message_row(indonesian, flash)).to_be_attached()
    shooter.shoot(indonesian, "traffic-id")

    set_language(moscow, "ru")
    moscow.goto(f"{pair.moscow.url}/")
    expect(moscow.locator("[data-testid=peer-Washington]")).to_have_attribute("data-state", "up")
    shooter.shoot_both(moscow, "line-ru")
    moscow.goto(f"{pair.moscow.url}/floor")
    expect(moscow.locator("[data-testid=floor-message]").first).to_be_visible()
    shooter.shoot_both(moscow, "watch-floor-ru")
    moscow.goto(f"{pair.moscow.url}/traffic")
    expect(message_row(moscow, flash)).to_be_attached()
    shooter.shoot_both(moscow, "traffic-ru")
    open_message(moscow, exercise)
    shooter.shoot_both(moscow, "message-ru")

    # A flight notification from the form generated from its format, read in Russian.
    washington.goto(f"{pair.washington.url}/notify")
    fill_flight(washington, aircraft="Tu-95MS", count="2")
    washington.click("#notify-check")
    expect(washington.locator("#notify-preview")).to_be_visible()
    shooter.shoot(washington, "notify", full_page=True)
    washington.click("#notify-send")
    result = washington.locator("#notify-result")
    expect(result).to_have_attribute("data-id", re.compile(r"^[0-9a-f]{32}$"))
    flight = result.get_attribute("data-id")
    assert flight is not None
    moscow.goto(f"{pair.moscow.url}/traffic")
    expect(message_row(moscow, flight)).to_be_attached()
    open_message(moscow, flight)
    moscow.click("#notification-data summary")
    shooter.shoot(moscow, "notification-ru", full_page=True)

    washington.goto(f"{pair.washington.url}/reports?period=month")
    expect(washington.locator("[data-testid=report-row]").first).to_be_attached()
    shooter.shoot(washington, "reports")

    # The shared record: by now Moscow has cosigned a checkpoint of Washington's log.
    washington.click("#nav-record")
    cosigner = washington.locator('[data-testid=cosigner][data-peer="Moscow"][data-never="false"]')
    expect(cosigner).to_be_visible()
    expect(cosigner.locator(".cosigner-behind")).to_have_text("up to date")
    shooter.shoot(washington, "record", full_page=True)

    # A video call (fake camera): presence asked, Moscow rings, answers; then the record.
    set_language(moscow, "en")
    washington.goto(f"{pair.washington.url}/calls")
    moscow.goto(f"{pair.moscow.url}/")
    washington.click("[data-testid=presence-ask-Moscow]")
    expect(moscow.locator("[data-testid=presence-request]")).to_be_visible()
    place_call(washington, "Moscow", kind="video")
    expect(moscow.locator("[data-testid=incoming-call]")).to_be_visible()
    shooter.shoot(moscow, "call-ringing")
    moscow.click("[data-testid=call-answer]")
    expect(call_state(washington)).to_have_attribute("data-state", "connected")
    time.sleep(2.5)  # a few seconds of picture and the stats line
    shooter.shoot(washington, "call-connected")
    moscow.click("[data-testid=presence-answer]")
    washington.click("[data-testid=call-hangup]")
    expect(call_state(washington)).to_have_attribute("data-state", "ended")
    washington.goto(f"{pair.washington.url}/calls")
    shooter.shoot(washington, "calls", full_page=True)

    _channels(shooter)
    _marked(shooter, washington)


def _channels(shooter: Shooter) -> None:
    """An admin restricts a channel on the Channels page; Moscow announces one of its own."""
    pair = shooter.pair
    admin = User(name="wash-admin", party="Washington", role="admin")
    _add_user(pair.washington.directory, admin)
    pair.users[admin.name] = admin
    hotline_channel = ("channel", "create", pair.moscow.directory, "defence-ministers")
    hotline(*hotline_channel, "--member", "mos-op:principal", "--member", "mos-op-id")
    page = shooter.as_user(admin.name)
    page.click("#nav-channels")
    page.fill("#channel-name", "defence-ministers")
    page.fill("#channel-members", "wash-op:principal\nwash-auditor")
    page.click("#channel-create")
    channel = page.locator('[data-testid=channel][data-channel="defence-ministers"]')
    expect(channel.locator('[data-testid=member][data-user="wash-op"]')).to_be_visible()
    expect(channel.locator("[data-testid=peer-members]")).to_contain_text("mos-op")
    shooter.shoot(page, "channels", full_page=True)


def _marked(shooter: Shooter, washington: Page) -> None:
    """A message marked EYES ONLY for two of Moscow's users, embargoed and classified."""
    pair = shooter.pair
    washington.goto(f"{pair.washington.url}/traffic")
    washington.select_option("#compose-to", "Moscow")
    washington.fill("#compose-text", MARKED)
    washington.fill("#compose-eyes-only", "mos-op\nmos-op-id")
    embargo = datetime.now(UTC) + timedelta(hours=3, minutes=20)
    washington.fill("#compose-embargo", embargo.strftime("%Y-%m-%dT%H:%MZ"))
    washington.select_option("#compose-classification", CLASSIFICATIONS[1])
    washington.check("#compose-not-for-release")
    washington.click("#compose-send")
    result = washington.locator("#compose-result")
    expect(result).to_have_attribute("data-id", re.compile(r"^[0-9a-f]{32}$"))
    marked = result.get_attribute("data-id")
    assert marked is not None
    for user, name in (("mos-op", "marked-message"), ("mos-op-id", "marked-message-id")):
        page = shooter.as_user(user)
        page.goto(f"{pair.moscow.url}/traffic")
        expect(message_row(page, marked)).to_be_attached()
        open_message(page, marked)
        expect(page.locator("#embargo-countdown")).to_contain_text("03:1")
        shooter.shoot(page, name)


def _conferences(browser: Browser, root: Path, out: Path) -> None:
    """Three terminals: Washington convenes a conference from its console, and sends into it."""
    with console_mesh(root, MESH, MESH_USERS) as consoles:
        users = {user.name: user for user in MESH_USERS}
        shooter = Camera(browser, out)

        def as_user(name: str) -> Page:
            page = shooter.page()
            login(page, consoles[users[name].party].url, users[name])
            return page

        washington = as_user("wash-op")
        washington.click("#nav-conferences")
        washington.fill("#conference-name", "joint-statement")
        washington.check('input[name=party][value="Moscow"]')
        washington.check('input[name=party][value="London"]')
        washington.click("#conference-create")
        washington.wait_for_url(re.compile(r".*/conferences/[0-9a-f]+$"))
        conference_url = washington.url
        for party in ("Moscow", "London"):  # the answers arrive in the open page
            member = washington.locator(f'[data-testid=conference-member][data-party="{party}"]')
            expect(member).to_have_attribute("data-answer", "joined", timeout=30_000)

        def send(text: str) -> None:
            washington.fill("#conference-text", text)
            washington.select_option("#conference-precedence", "immediate")
            washington.click("#conference-send")
            washington.wait_for_url(conference_url)

        send(CONFERENCE_REPORT)
        for party in ("Moscow", "London"):
            cell = washington.locator(f'[data-testid=conference-cell][data-party="{party}"]')
            expect(cell.first).to_have_attribute("data-state", "delivered", timeout=30_000)
        # London goes quiet: the next report waits for it, and the grid names it slowest.
        consoles["London"].process.stop()
        send(CONFERENCE_FOLLOW_UP)
        expect(washington.locator("#conference-slowest")).to_have_attribute(
            "data-party", "London", timeout=30_000
        )
        expect(
            washington.locator('[data-testid=conference-cell][data-party="Moscow"]').first
        ).to_have_attribute("data-state", "delivered", timeout=30_000)
        shooter.shoot(washington, "conferences", full_page=True)

        moscow = as_user("mos-op-ru")
        moscow.click("#nav-conferences")
        moscow.click("[data-testid=conference-row] a")
        expect(moscow.locator("[data-testid=conference-message]")).to_have_count(2)
        shooter.shoot(moscow, "conference-ru", full_page=True)


def _statements(browser: Browser, root: Path, out: Path) -> None:
    """Three terminals: a two-language joint statement, revised, signed on the page, in force."""
    with console_mesh(root, STATEMENT_PARTIES, STATEMENT_USERS) as consoles:
        users = {user.party: user for user in STATEMENT_USERS}
        shooter = Camera(browser, out)
        washington = consoles["Washington"]

        def state(party: str, statement: str) -> str:
            with consoles[party].control() as client:
                try:
                    return str(client.statement(statement)["state"])
                except Exception:  # not arrived yet
                    return "absent"

        def drafts(party: str, statement: str) -> int:
            with consoles[party].control() as client:
                try:
                    return len(client.statement(statement)["drafts"])
                except Exception:
                    return 0

        with washington.control() as client:
            conference = client.create_conference("contact-group", ["London", "Paris"])

            def joined() -> bool:
                members = client.conference("contact-group")["members"]
                return {m["answer"] for m in members} == {"convener", "joined"}

            wait_for(joined, what="London and Paris to join")
            statement = client.draft_statement(
                conference=conference["id"],
                title="Joint statement on the crisis",
                texts=STATEMENT_TEXTS,
                authoritative="en",
            )["id"]
        wait_for(lambda: drafts("London", statement) == 1, what="the draft at London")
        with consoles["London"].control() as client:
            client.revise_statement(statement, {"en": STATEMENT_REVISED_EN})
        wait_for(lambda: drafts("Washington", statement) == 2, what="the revision at Washington")
        wait_for(lambda: drafts("Paris", statement) == 2, what="the revision at Paris")
        with consoles["London"].control() as client:
            client.sign_statement(
                statement, user=users["London"].name, password=users["London"].password
            )
        wait_for(lambda: state("Washington", statement) == "signed", what="London's signature")

        page = shooter.page()
        login(page, washington.url, users["Washington"])
        page.goto(f"{washington.url}/statements/{statement}")
        page.fill("#statement-password", users["Washington"].password)
        page.click("#statement-sign")
        expect(page.locator("#statement-signed-by-me")).to_be_visible()
        expect(page.locator('[data-testid=statement-party][data-signed="true"]')).to_have_count(2)
        shooter.shoot(page, "statement", full_page=True)

        london = shooter.page()
        login(london, consoles["London"].url, users["London"])
        london.goto(f"{consoles['London'].url}/statements/{statement}")
        expect(london.locator('[data-testid=statement-party][data-signed="true"]')).to_have_count(2)
        expect(london.locator("#statement-revise-form")).to_be_visible()
        shooter.shoot(london, "statement-id", full_page=True)

        with consoles["Paris"].control() as client:
            wait_for(lambda: state("Paris", statement) == "signed", what="the signatures at Paris")
            client.sign_statement(
                statement, user=users["Paris"].name, password=users["Paris"].password
            )
            second = client.draft_statement(
                conference=conference["id"],
                title="Joint communiqué on humanitarian access",
                texts={"en": "The three governments will open a humanitarian corridor."},
            )["id"]
        for party in consoles:
            wait_for(lambda p=party: state(p, statement) == "in-force", what=f"in force at {party}")
        wait_for(lambda: state("Washington", second) == "circulating", what="the second draft")
        page.goto(f"{washington.url}/statements")
        expect(page.locator("[data-testid=statement-row]")).to_have_count(2)
        shooter.shoot(page, "statements")

        paris = shooter.page()
        login(paris, consoles["Paris"].url, users["Paris"])
        paris.goto(f"{consoles['Paris'].url}/statements/{statement}")
        expect(paris.locator("#statement-banner")).to_have_attribute("data-state", "in-force")
        shooter.shoot(paris, "statement-ru", full_page=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "screenshots", help="where to save the PNGs"
    )
    parser.add_argument(
        "--only-statements", action="store_true", help="only the joint statement screenshots"
    )
    parser.add_argument(
        "--only-pair",
        action="store_true",
        help="only the screenshots of the pair (Washington and Moscow), not the meshes",
    )
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.stderr.write(f"no chromium at {CHROMIUM} (apt-get install chromium)\n")
        return 1
    with tempfile.TemporaryDirectory(prefix="hotline-shots-") as tmp:
        if not args.only_statements:
            _say("starting Washington and Moscow")
            with console_pair(Path(tmp)) as pair, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=[
                        "--no-sandbox",
                        "--use-fake-ui-for-media-stream",
                        "--use-fake-device-for-media-stream",
                    ],
                )
                try:
                    _say(f"saving screenshots to {args.out}")
                    _drive(Shooter(browser, pair, args.out.resolve()))
                finally:
                    browser.close()
            if args.only_pair:
                return 0
            _say("starting Washington, Moscow and London")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                try:
                    _conferences(browser, Path(tmp) / "mesh", args.out.resolve())
                finally:
                    browser.close()
        _say("starting Washington, London and Paris")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            try:
                _statements(browser, Path(tmp) / "statements", args.out.resolve())
            finally:
                browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
