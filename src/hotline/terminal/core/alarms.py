"""Alarms about the line: raised at once, kept until cleared, told to a person.

Real hotlines failed when nobody could tell a broken line from a refusal to
answer, and when an untested line was assumed to work. An alarm is how this
terminal says, to a person, that the line needs attention:

* ``test-missed``: our link test on a route came back without a receipt in
  time (docs/protocol/linktest.md). Cleared by a later test on that route that
  passes, in either direction.
* ``peer-test-missed``: the peer told us its test on a route missed. The peer
  tells us with an ``alarm`` message (kind ``alarm``, channel ``line``) over
  whatever route works, so it is serialised, signed and receipted like any
  message and cannot be lost. Cleared like ``test-missed``.
* ``line-down``: no route to the peer has a session. Cleared when one has.
* ``ack-overdue``: a message went unacknowledged past its deadline
  (:mod:`hotline.terminal.desks.deadlines.watch`), on either side. Cleared by the
  acknowledgement.
* ``record-conflict``: a peer's log, or ours as a peer sees it, was rolled back
  or forked (:mod:`hotline.terminal.record.witness`). The evidence is kept;
  a person clears it after dealing with the peer.
* ``cosign-overdue``: a peer has not cosigned our newest checkpoint for
  ``[record] cosign_overdue_after``. Cleared by its cosignature.
* ``store-damaged``: stored messages exchanged with the peer have a text
  column that is not UTF-8 (a damaged disk, or a hand in the database), found
  when the terminal starts (:mod:`hotline.store._damage`). The detail names
  each message and column, never the content. A person clears it after
  restoring or repairing the store.
* ``restored-behind``: the peer holds more of our messages than our store
  (it was restored from an older backup); the session adopted the peer's
  position, or says why it could not (docs/protocol/delivery.md §5.1). A
  person clears it once they know why the store went back.
* ``key-revoked``: the peer revoked one of its operational keys (``hotline
  key revoke``, docs/keys.md "Revocation"): the detail names the key, since
  when it is compromised and why. A person clears it once they have read it.
* ``revoked-key-used``: something signed by a key the peer revoked arrived
  and was refused (a forgery, or a copy of the peer's terminal still running
  on the leaked key). A person clears it after dealing with the peer.
* ``key-expiring``: one of *our* operational keys' certificates ends within
  ``[alarms] key_expiring_days`` (docs/keys.md, "Validity periods"); its peer
  is our own party, its route the key's kind, the detail names the
  ``hotline key rotate`` that fixes it. Cleared by that rotation.

Every alarm is stored (the ``alarms`` table), journaled when raised and when
cleared, logged, and handed to the operator's hook: a shell command run with
the alarm as one JSON object on its standard input (``[alarms] hook`` in
hotline.toml), to reach mail, SMS or a pager. A hook that fails or hangs is
killed after ``hook_timeout`` and the failure journaled; it never delays the
line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from hotline.store import AlarmRecord, Store
from hotline.terminal.config.settings import AlarmSettings
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc

__all__ = [
    "ACK_OVERDUE",
    "ALARM_KINDS",
    "COSIGN_OVERDUE",
    "KEY_EXPIRING",
    "KEY_REVOKED",
    "LINE_DOWN",
    "PEER_TEST_MISSED",
    "RECORD_CONFLICT",
    "ROUTE_DOWN",
    "RESTORED_BEHIND",
    "REVOKED_KEY_USED",
    "STORE_DAMAGED",
    "TEST_MISSED",
    "AlarmBoard",
    "alarm_json",
]

log = logging.getLogger("hotline.alarms")

TEST_MISSED = "test-missed"
PEER_TEST_MISSED = "peer-test-missed"
LINE_DOWN = "line-down"
ACK_OVERDUE = "ack-overdue"
RECORD_CONFLICT = "record-conflict"
COSIGN_OVERDUE = "cosign-overdue"
#: One route down longer than ``[alarms] route_down_after`` while the line holds on others.
ROUTE_DOWN = "route-down"
#: Stored messages with a peer whose text is not UTF-8: recovered or quarantined.
STORE_DAMAGED = "store-damaged"
#: The peer holds more of our direction than our store: restored from an older backup.
RESTORED_BEHIND = "restored-behind"
#: The peer revoked one of its operational keys.
KEY_REVOKED = "key-revoked"
#: Something signed by a key the peer revoked arrived, and was refused.
REVOKED_KEY_USED = "revoked-key-used"
#: One of our operational keys' certificates ends soon: rotate it.
KEY_EXPIRING = "key-expiring"
ALARM_KINDS = (
    TEST_MISSED,
    PEER_TEST_MISSED,
    LINE_DOWN,
    ACK_OVERDUE,
    RECORD_CONFLICT,
    COSIGN_OVERDUE,
    ROUTE_DOWN,
    STORE_DAMAGED,
    RESTORED_BEHIND,
    KEY_REVOKED,
    REVOKED_KEY_USED,
    KEY_EXPIRING,
)
#: The kinds a passing link test on a route clears.
_TEST_KINDS = (TEST_MISSED, PEER_TEST_MISSED)


def alarm_json(alarm: AlarmRecord) -> dict[str, Any]:
    """The alarm as the status API, the hook and the console show it."""
    return asdict(alarm)


class AlarmBoard:
    """Raises and clears alarms: store, journal, log and hook, in that order."""

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        settings: AlarmSettings,
        spawn: Callable[[Any, str], asyncio.Task[Any] | None],
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self._on_change = on_change or (lambda: None)
        self._store = store
        self._clock = clock
        self._settings = settings
        self._spawn = spawn
        self._open: dict[str, AlarmRecord] = {a.id: a for a in store.open_alarms()}
        #: Hooks still running, so shutdown can give them a moment to finish.
        self._hooks: set[asyncio.Task[Any]] = set()

    def open_alarms(self) -> list[AlarmRecord]:
        return sorted(self._open.values(), key=lambda a: (a.since, a.id))

    def open_of_kind(self, kind: str) -> list[AlarmRecord]:
        """The open alarms of one kind."""
        return [a for a in self.open_alarms() if a.kind == kind]

    def find(self, *, kind: str, peer: str, route: str | None) -> AlarmRecord | None:
        for alarm in self._open.values():
            if (alarm.kind, alarm.peer, alarm.route) == (kind, peer, route):
                return alarm
        return None

    def raise_alarm(
        self, *, kind: str, peer: str, route: str | None, detail: str
    ) -> AlarmRecord | None:
        """Raise an alarm, unless the same one (kind, peer, route) is already open."""
        if self.find(kind=kind, peer=peer, route=route) is not None:
            return None
        alarm = AlarmRecord(
            id=secrets.token_hex(8),
            kind=kind,
            peer=peer,
            route=route,
            since=format_utc(self._clock.now()),
            detail=detail,
        )
        with self._store.transaction():
            self._store.add_alarm(alarm)
            self._store.append_journal(
                kind="alarm raised", at=alarm.since, data=_journal_data(alarm)
            )
        self._open[alarm.id] = alarm
        self._on_change()
        log.warning("ALARM %s: %s %s: %s", kind, peer, route or "(whole line)", detail)
        self._run_hook("raised", alarm)
        return alarm

    def clear(self, alarm_id: str, *, by: str) -> AlarmRecord | None:
        """Clear one open alarm; None if it is not open."""
        if alarm_id not in self._open:
            return None
        at = format_utc(self._clock.now())
        with self._store.transaction():
            cleared = self._store.clear_alarm(alarm_id, at=at, by=by)
            if cleared is None:
                return None
            self._store.append_journal(
                kind="alarm cleared", at=at, data={**_journal_data(cleared), "by": by}
            )
        del self._open[alarm_id]
        self._on_change()
        log.warning("alarm %s cleared (%s): %s %s", cleared.kind, by, cleared.peer, cleared.route)
        self._run_hook("cleared", cleared)
        return cleared

    def acknowledge(self, alarm_id: str, *, by: str) -> AlarmRecord | None:
        """An operator has seen an open alarm (it stays open until its condition clears)."""
        if alarm_id not in self._open:
            return None
        at = format_utc(self._clock.now())
        with self._store.transaction():
            acked = self._store.acknowledge_alarm(alarm_id, at=at, by=by)
            if acked is None:
                return None
            self._store.append_journal(
                kind="alarm acknowledged", at=at, data={"id": alarm_id, "by": by}
            )
        self._open[alarm_id] = acked
        self._on_change()
        return acked

    def clear_matching(
        self, *, kinds: tuple[str, ...], peer: str, route: str | None, by: str
    ) -> list[AlarmRecord]:
        matching = [
            a.id
            for a in self._open.values()
            if a.kind in kinds and a.peer == peer and (route is None or a.route == route)
        ]
        return [c for c in (self.clear(i, by=by) for i in matching) if c is not None]

    def clear_route_tests(self, *, peer: str, route: str, by: str) -> list[AlarmRecord]:
        """A test passed on ``route``: the route's test alarms are over."""
        return self.clear_matching(kinds=_TEST_KINDS, peer=peer, route=route, by=by)

    # -- the hook -------------------------------------------------------------

    def run_hook(self, event: dict[str, Any]) -> None:
        """Hand any event (an escalation alert) to the hook, like an alarm."""
        if not self._settings.hook:
            return
        payload = json.dumps(event, ensure_ascii=False)
        task = self._spawn(self._hook(payload, str(event.get("alarm") or "")), "hook")
        if task is not None:  # None once the terminal has stopped
            self._hooks.add(task)
            task.add_done_callback(self._hooks.discard)

    def _run_hook(self, event: str, alarm: AlarmRecord) -> None:
        if not self._settings.hook:
            return
        payload = json.dumps({"event": event, **alarm_json(alarm)}, ensure_ascii=False)
        task = self._spawn(self._hook(payload, alarm.id), f"alarm hook {alarm.id}")
        if task is not None:  # None once the terminal has stopped
            self._hooks.add(task)
            task.add_done_callback(self._hooks.discard)

    async def drain(self, within: float) -> None:
        """Wait up to ``within`` seconds for running hooks (the terminal is stopping)."""
        if self._hooks:
            await asyncio.wait(set(self._hooks), timeout=within)

    async def _hook(self, payload: str, alarm_id: str) -> None:
        outcome = await self._call_hook(payload)
        if outcome is not None:
            log.error("alarm hook failed for alarm %s: %s", alarm_id, outcome)
            with contextlib.suppress(Exception):
                self._store.append_journal(
                    kind="alarm hook failed",
                    at=format_utc(self._clock.now()),
                    data={"alarm": alarm_id, "hook": self._settings.hook, "error": outcome},
                )

    async def _call_hook(self, payload: str) -> str | None:
        """Run the hook with ``payload`` on stdin; None on success, else what went wrong."""
        try:
            process = await asyncio.create_subprocess_shell(
                self._settings.hook,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                # Its own process group, so a timeout kills the shell's children too
                # (a child left holding the pipes would keep the hook "running").
                start_new_session=True,
            )
        except OSError as exc:
            return f"cannot start: {exc}"
        try:
            async with asyncio.timeout(self._settings.hook_timeout):
                _, stderr = await process.communicate(payload.encode("utf-8"))
        except TimeoutError:
            _kill_group(process.pid)
            await process.wait()
            return f"killed after {self._settings.hook_timeout:g} s"
        except asyncio.CancelledError:
            # The terminal is stopping: leave no hook behind.
            _kill_group(process.pid)
            raise
        if process.returncode != 0:
            tail = stderr.decode("utf-8", "replace").strip()[-200:]
            return f"exit status {process.returncode}" + (f": {tail}" if tail else "")
        return None


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _journal_data(alarm: AlarmRecord) -> dict[str, Any]:
    return {
        "id": alarm.id,
        "kind": alarm.kind,
        "peer": alarm.peer,
        "route": alarm.route,
        "detail": alarm.detail,
    }
