"""Runs link tests on a peer's routes, on the schedule and on demand, and acts on the results.

The rules are in :mod:`hotline.terminal.linktest.desk` (and docs/protocol/linktest.md);
this module is the asyncio side: it waits for the slot, sends each route's
TEST envelope on that route's session (again on the route's next session if
the first one drops), waits for the receipt until the deadline, and then
clears or raises alarms. A missed test is also told to the peer as an
``alarm`` message on the ``line`` channel: an ordinary message, serialised and
receipted, so it reaches the peer over whichever route works first, and
survives restarts on both sides.

Tests run whatever the line's state: a route that is down at test time gets
the whole deadline to come back, and a route that stays down is a missed test.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from hotline.errors import CryptoError, KeyRevoked, WrongSigner
from hotline.store import MessageRecord
from hotline.terminal.config.settings import LinkSettings
from hotline.terminal.core.alarms import PEER_TEST_MISSED, TEST_MISSED, AlarmBoard
from hotline.terminal.core.desk import Desk
from hotline.terminal.core.line import LinkTestResult, PeerLine, RouteLine
from hotline.terminal.core.outbox import Outbox, decode_body
from hotline.terminal.core.revocations import refuse_revoked_use
from hotline.terminal.core.session import Session
from hotline.terminal.linktest.desk import (
    LINE_CHANNEL,
    LinkTestDesk,
    SentTest,
    next_slot,
    receipt_message_id,
    slot_parity,
)
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc

__all__ = ["ALARM_MESSAGE_KIND", "LineTester", "PeerAlarmDesk"]

log = logging.getLogger("hotline.tests")

#: Kind of the message that tells the peer about an alarm.
ALARM_MESSAGE_KIND = "alarm"
#: How often a waiting test looks whether its route's session changed.
_RESEND_CHECK = 0.25


class LineTester:
    """Link tests for every line of one terminal."""

    def __init__(
        self,
        *,
        desk: LinkTestDesk,
        alarms: AlarmBoard,
        outbox: Outbox,
        clock: Clock,
        settings: LinkSettings,
        our_key: bytes,
        journal: Callable[[str, dict[str, Any]], None],
    ) -> None:
        self._desk = desk
        self._alarms = alarms
        self._outbox = outbox
        self._clock = clock
        self._settings = settings
        self._our_key = our_key
        self._journal = journal

    def slot_now(self) -> int:
        return int(self._clock.now().timestamp() // self._settings.test_interval)

    async def schedule(self, line: PeerLine) -> None:
        """Test the line's routes in every slot of our parity, for ever."""
        interval = self._settings.test_interval
        parity = slot_parity(self._our_key, line.peer.signing_key)
        while True:
            now = self._clock.now().timestamp()
            slot = next_slot(now, interval, parity=parity)
            await asyncio.sleep(max(slot * interval - now, 0.0))
            await self.test_line(line, slot)

    async def test_line(self, line: PeerLine, slot: int) -> list[LinkTestResult]:
        """Test every route of ``line`` at once; one result per route."""
        routes = list(line.routes.values())
        return list(
            await asyncio.gather(
                *(
                    self._test_route(line, route, slot, number=slot // 2 + index)
                    for index, route in enumerate(routes)
                )
            )
        )

    async def _test_route(
        self, line: PeerLine, route: RouteLine, slot: int, *, number: int
    ) -> LinkTestResult:
        test = self._desk.make_test(peer=line.peer, route=route.address, slot=slot, number=number)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        line.pending_tests[test.id] = future
        started = self._clock.monotonic()
        deadline = started + self._settings.test_deadline
        sent_on: Session | None = None
        reason = f"no receipt within {self._settings.test_deadline:g} s"
        receipt = None
        try:
            while (left := deadline - self._clock.monotonic()) > 0:
                live = route.live
                if live is not None and live is not sent_on:
                    with contextlib.suppress(Exception):
                        live.send_link_test(test.envelope.encode())
                        sent_on = live
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(left, _RESEND_CHECK)):
                        await asyncio.shield(future)
                if not future.done():
                    continue
                try:
                    receipt = self._desk.check_receipt(
                        test=test, peer=line.peer, raw=future.result()
                    )
                except (CryptoError, WrongSigner) as exc:
                    reason = f"the receipt did not verify: {exc}"
                    if isinstance(exc, KeyRevoked):
                        refuse_revoked_use(
                            alarms=self._alarms,
                            journal=self._journal,
                            peer=line.party,
                            what="link test receipt",
                            error=exc,
                            route=route.address,
                        )
                break
            if sent_on is None and receipt is None:
                reason = f"the route had no session within {self._settings.test_deadline:g} s" + (
                    f" ({route.last_error})" if route.last_error else ""
                )
        finally:
            line.pending_tests.pop(test.id, None)
        result = self._desk.finish(
            test=test,
            receipt=receipt,
            round_trip=self._clock.monotonic() - started,
            reason=reason,
        )
        route.last_test = result
        self._act_on(line, test, result)
        return result

    def _act_on(self, line: PeerLine, test: SentTest, result: LinkTestResult) -> None:
        if result.ok:
            self._alarms.clear_route_tests(
                peer=line.party, route=result.route, by=f"link test {result.id} passed"
            )
            return
        log.warning("link test on %s to %s missed: %s", result.route, line.party, result.reason)
        alarm = self._alarms.raise_alarm(
            kind=TEST_MISSED,
            peer=line.party,
            route=result.route,
            detail=f"link test {result.id} at {test.sent_at}: {result.reason}",
        )
        if alarm is None:
            return  # already open and already told
        # Tell the peer: stored now, delivered over the first route that works.
        self._outbox.queue(
            peer=line.peer,
            text=(f"LINK TEST MISSED on route {result.route} at {test.sent_at}: {result.reason}"),
            channel=LINE_CHANNEL,
            kind=ALARM_MESSAGE_KIND,
            extra_body={
                "alarm": {
                    "kind": TEST_MISSED,
                    "route": result.route,
                    "since": alarm.since,
                    "test": result.id,
                    "detail": alarm.detail,
                }
            },
        )
        line.wake()

    # -- the peer's side of tests ----------------------------------------------

    def answer(self, line: PeerLine, session: Session, raw: bytes) -> bytes | None:
        """The peer's TEST envelope arrived on ``session``: our signed receipt, or None."""
        try:
            receipt, sent_on = self._desk.answer(peer=line.peer, route=session.route, raw=raw)
        except KeyRevoked as exc:
            refuse_revoked_use(
                alarms=self._alarms,
                journal=self._journal,
                peer=line.party,
                what="link test",
                error=exc,
                route=session.route,
            )
            return None
        except (CryptoError, WrongSigner) as exc:
            log.warning("link test from %s refused: %s", line.party, exc)
            self._journal(
                "refusal",
                {
                    "peer": line.party,
                    "what": "link test",
                    "error": type(exc).__name__,
                    "reason": str(exc),
                    "route": session.route,
                },
            )
            return None
        route = line.routes.get(session.route)
        if route is not None:  # shown beside our own tests (the line view)
            route.peer_tested_at = format_utc(self._clock.now())
        # A test got through on this route: whatever alarm the peer raised about it is over.
        # The peer's own test got through on this route, so the alarm it sent us about
        # the route is over. Both name the route as the peer does (it is the peer's
        # alarm); our own test alarm waits for our own test to pass.
        self._alarms.clear_matching(
            kinds=(PEER_TEST_MISSED,),
            peer=line.party,
            route=sent_on,
            by="a link test from the peer arrived",
        )
        return receipt

    def receipt_arrived(self, line: PeerLine, raw: bytes) -> None:
        test_id = receipt_message_id(raw)
        future = line.pending_tests.get(test_id) if test_id is not None else None
        if future is None or future.done():
            log.info("link test receipt from %s for no waiting test (late?)", line.party)
            return
        future.set_result(raw)


class PeerAlarmDesk(Desk):
    """Takes the peer's ``alarm`` messages: one of *its* tests of our line missed."""

    kinds = frozenset({ALARM_MESSAGE_KIND})

    def received(self, record: MessageRecord) -> None:
        alarm = decode_body(record.body).get("alarm")
        # A well-signed but odd body still raises the alarm, with the text.
        found = alarm.get("route") if isinstance(alarm, dict) else None
        route = str(found) if found is not None else None
        self.services.alarms.raise_alarm(
            kind=PEER_TEST_MISSED,
            peer=record.peer,
            route=route,
            detail=f"{record.peer} reports (message {record.id}, serial {record.serial}): "
            f"{record.text}",
        )
