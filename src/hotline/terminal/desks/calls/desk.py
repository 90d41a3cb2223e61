"""Video and voice calls between consoles, signalled over the line and kept on the record.

The browsers carry the media (WebRTC); the terminals carry everything else.
Each signal (offer, ringing, answer, decline, hang-up, an ICE restart's
offer or answer, a trickled candidate) is an ordinary message of kind
``call``: serialised, signed by the party, sealed, stored, receipted, and
delivered exactly once in order (docs/protocol/calls.md). The console relays
signals between its browser and this desk; the desk keeps the call's state
(:mod:`hotline.terminal.desks.calls.state`) and its record (a ``calls`` row, final
once ended, and a ``call ended`` journal entry holding the whole record).

Binding media to identities: the DTLS fingerprint of each side's SDP travels
inside the signed signal and must equal the fingerprint of the SDP in the
same signal (else the signal is refused and the call fails); the browser then
checks the fingerprint of the DTLS certificate it actually met against the
signed one. Someone who can alter SDP between the parties but lacks a party's
signing key cannot redirect the media.

Times on the record are the signed ones (requested: the offer's, answered: the
answer's, ended: the first hang-up's), so both records agree; when both sides
end a call at once, each keeps the end it saw first.

"Request principal at the machine" is next door, in :mod:`hotline.terminal.desks.calls.presence`.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hotline.errors import CallError, InvalidArgument, UnknownCall
from hotline.store import CALL_OUTCOMES, CallRecord, Direction, MessageRecord
from hotline.terminal.config.settings import CallSettings
from hotline.terminal.core.desk import Desk, DeskServices
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.operators import Operator, Permission
from hotline.terminal.core.outbox import check_channel, decode_body
from hotline.terminal.desks.calls.state import (
    CallEvent,
    CallState,
    next_state,
    sdp_fingerprint,
)
from hotline.utc import format_utc, from_epoch, parse_utc

__all__ = [
    "CALL_KIND",
    "MEDIA_STATES",
    "CallDesk",
    "LiveCall",
    "SendSignal",
    "call_json",
]

log = logging.getLogger("hotline.calls")

CALL_KIND = "call"
#: What a browser reports about its media path (RTCPeerConnection ICE states, folded).
MEDIA_STATES = ("connected", "disconnected", "failed")
_MAX_CANDIDATE_CHARS = 1024
_MAX_CANDIDATES = 200
_MAX_REASON_CHARS = 500

#: (kind, peer, channel, text, body extra) -> the queued message. Supplied by the
#: daemon, which queues it durably and wakes the line.
SendSignal = Callable[[str, str, str, str, dict[str, Any]], MessageRecord]


@dataclass(slots=True)
class LiveCall:
    """What a live call needs beyond its record: the remote side's SDP for our browser."""

    ring_deadline: float  # epoch seconds
    remote_type: str | None = None
    remote_sdp: str | None = None
    remote_rev: int = 0
    candidates: list[dict[str, Any]] = field(default_factory=list)
    media: str | None = None
    lost_since: float | None = None
    lost_reason: str = ""


def call_json(record: CallRecord, *, party: str, live: LiveCall | None = None) -> dict[str, Any]:
    """The JSON form of a call kept by ``party`` (CLI, control API and console share it)."""
    out = record.direction is Direction.OUT
    return {
        "id": record.id,
        "peer": record.peer,
        "direction": str(record.direction),
        "caller": party if out else record.peer,
        "callee": record.peer if out else party,
        "channel": record.channel,
        "kind": record.kind,
        "state": record.state,
        "outcome": record.outcome,
        "reason": record.reason,
        "requested_at": record.requested_at,
        "answered_at": record.answered_at,
        "ended_at": record.ended_at,
        "duration": record.duration,
        "placed_by": record.placed_by,
        "answered_by": record.answered_by,
        "ended_by": record.ended_by,
        "our_fingerprint": record.our_fingerprint,
        "peer_fingerprint": record.peer_fingerprint,
        "media": live.media if live is not None else None,
        "ring_deadline": (
            format_utc(from_epoch(live.ring_deadline))
            if live is not None and record.state in ("calling", "ringing")
            else None
        ),
    }


class CallDesk(Desk):
    """Places, answers and ends calls; follows the peer's signals; keeps the records."""

    kinds = frozenset({CALL_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        self._party = services.settings.party
        self._settings: CallSettings = services.settings.calls
        self._send: SendSignal = services.lines.send_signal
        self._publish: Callable[[str, str], None] = services.events.publish
        self._line_down = services.lines.line_down_reason
        self._live: dict[str, LiveCall] = {}

    # -- reading ------------------------------------------------------------------

    @property
    def ice_servers(self) -> list[dict[str, Any]]:
        return [dict(server) for server in self._settings.ice_servers]

    @property
    def ring_timeout(self) -> float:
        return self._settings.ring_timeout

    def get(self, call_id: str) -> CallRecord:
        record = self._store.get_call(call_id)
        if record is None:
            raise UnknownCall(f"no call with id {call_id}")
        return record

    def recent(self, limit: int = 200) -> list[CallRecord]:
        return self._store.list_calls(limit)

    def active(self) -> list[CallRecord]:
        return self._store.live_calls()

    def view(self, record: CallRecord) -> dict[str, Any]:
        """call_json with the live state, if any."""
        return call_json(record, party=self._party, live=self._live.get(record.id))

    def live_view(self, call_id: str) -> dict[str, Any]:
        """The view plus what our browser needs: the remote SDP (signed fingerprint) and candidates."""
        record = self.get(call_id)
        data = self.view(record)
        live = self._live.get(call_id)
        data["remote"] = (
            {
                "type": live.remote_type,
                "sdp": live.remote_sdp,
                "rev": live.remote_rev,
                "fingerprint": record.peer_fingerprint,
                "candidates": list(live.candidates),
            }
            if live is not None and record.state != CallState.ENDED
            else None
        )
        return data

    # -- our console's actions ------------------------------------------------------

    def place(
        self, *, to: str, channel: str, kind: str, sdp: str, operator: Operator
    ) -> CallRecord:
        """Place a video or audio call; to a peer whose line is down it fails at once, recorded."""
        party = self.services.lines.peer(to).party
        return self.start(
            peer=party,
            channel=channel,
            kind=kind,
            sdp=sdp,
            operator=operator,
            line_down=self._line_down(party),
        )

    def start(
        self, *, peer: str, channel: str, kind: str, sdp: str, operator: Operator, line_down: str
    ) -> CallRecord:
        """Place a call; ``line_down`` is why the line is down ("" when it is up)."""
        operator.require(Permission.CALL, "place calls")
        check_channel(channel)
        if kind not in ("video", "audio"):
            raise InvalidArgument(f"a call is video or audio, not {kind!r}")
        fingerprint = sdp_fingerprint(sdp)
        now = self._clock.now()
        record = CallRecord(
            id=f"call-{secrets.token_hex(8)}",
            peer=peer,
            direction=Direction.OUT,
            channel=channel,
            kind=kind,
            state=CallState.CALLING,
            requested_at=format_utc(now),
            our_fingerprint=fingerprint,
            placed_by=operator.name,
        )
        if line_down:
            # Never a silent ring: the call fails at once and says why.
            return self._end(record, "failed", line_down, at=record.requested_at, by=None)
        with self._store.transaction():
            self._store.put_call(record)
            self._signal(
                record,
                f"CALL: {kind} call from {self._party} ({operator.name}) on {channel}",
                type="offer",
                at=record.requested_at,
                kind=kind,
                sdp=sdp,
                fingerprint=fingerprint,
                by=operator.name,
                ring_timeout=self._settings.ring_timeout,
            )
            self._journal("call requested", self.view(record))
        self._live[record.id] = LiveCall(
            ring_deadline=now.timestamp() + self._settings.ring_timeout
        )
        self._publish("calls", record.id)
        return record

    def answer(self, call_id: str, *, sdp: str, operator: Operator) -> CallRecord:
        operator.require(Permission.CALL, "answer calls")
        record = self._incoming(call_id, "answer")
        fingerprint = sdp_fingerprint(sdp)
        at = format_utc(self._clock.now())
        record = self._step(
            record,
            CallEvent.ANSWERED,
            answered_at=at,
            answered_by=operator.name,
            our_fingerprint=fingerprint,
        )
        with self._store.transaction():
            self._store.put_call(record)
            self._signal(
                record,
                f"CALL: answered by {self._party} ({operator.name})",
                type="answer",
                at=at,
                sdp=sdp,
                fingerprint=fingerprint,
                by=operator.name,
            )
            self._journal("call answered", self.view(record))
        self._publish("calls", record.id)
        return record

    def decline(self, call_id: str, *, operator: Operator) -> CallRecord:
        operator.require(Permission.CALL, "decline calls")
        record = self._incoming(call_id, "decline")
        next_state(record.state, CallEvent.DECLINED)
        return self._end(record, "declined", None, by=operator.name, tell_peer=True)

    def hang_up(
        self, call_id: str, *, operator: Operator, failed: bool = False, reason: str | None = None
    ) -> CallRecord:
        """End a call from our console; idempotent on an ended call."""
        operator.require(Permission.CALL, "hang up calls")
        record = self.get(call_id)
        if record.state == CallState.ENDED:
            return record
        reason = (reason or "").strip()[:_MAX_REASON_CHARS] or None
        if failed:
            outcome = "failed"
            reason = reason or f"{operator.name}'s console reported a failure"
        elif record.answered_at is not None:
            outcome = "completed"
        elif record.direction is Direction.OUT:
            outcome, reason = "missed", reason or "the caller hung up before an answer"
        else:
            outcome = "declined"
        return self._end(record, outcome, reason, by=operator.name, tell_peer=True)

    def renegotiate(
        self, call_id: str, *, sdp_type: str, sdp: str, operator: Operator
    ) -> CallRecord:
        """An ICE restart: the caller's browser re-offers, the callee's answers the re-offer."""
        operator.require(Permission.CALL, "renegotiate calls")
        record = self.get(call_id)
        expected = "offer" if record.direction is Direction.OUT else "answer"
        if sdp_type != expected:
            raise CallError(
                f"on this side of the call only an {expected} is sent (the caller restarts ICE)"
            )
        fingerprint = sdp_fingerprint(sdp)
        if fingerprint != record.our_fingerprint:
            raise CallError("the DTLS fingerprint changed during the call")
        record = self._step(record, CallEvent.RENEGOTIATED)
        self._signal(
            record,
            f"CALL: {sdp_type} to restart the media path",
            type="sdp",
            at=format_utc(self._clock.now()),
            sdp_type=sdp_type,
            sdp=sdp,
            fingerprint=fingerprint,
        )
        self._publish("calls", record.id)
        return record

    def add_candidate(
        self, call_id: str, *, candidate: Mapping[str, Any], operator: Operator
    ) -> None:
        """A candidate our browser found after its SDP went: trickled to the peer."""
        operator.require(Permission.CALL, "signal calls")
        record = self.get(call_id)
        if record.state == CallState.ENDED:
            raise CallError("the call has ended")
        self._signal(
            record,
            "CALL: an ICE candidate",
            type="candidate",
            at=format_utc(self._clock.now()),
            candidate=_check_candidate(candidate),
        )

    def report_media(self, call_id: str, *, state: str, operator: Operator) -> CallRecord:
        """Our browser's media path changed; the next tick turns that into call states."""
        operator.require(Permission.CALL, "report on calls")
        if state not in MEDIA_STATES:
            raise InvalidArgument(f"media state is one of {', '.join(MEDIA_STATES)}, not {state!r}")
        record = self.get(call_id)
        if record.state == CallState.ENDED:
            return record
        self._live_of(record).media = state
        return self._follow_path(record, line_down="")

    # -- the peer's signals --------------------------------------------------------

    def received(self, message: MessageRecord) -> None:
        """A ``call`` message arrived (exactly once, in serial order)."""
        try:
            self._call_signal(message, dict(decode_body(message.body)["call"]))
        except (KeyError, TypeError, ValueError, InvalidArgument, CallError) as exc:
            self._refuse(message, f"call signal refused: {exc}")

    def _call_signal(self, message: MessageRecord, signal: dict[str, Any]) -> None:
        kind, call_id, at = str(signal["type"]), str(signal["id"]), str(signal["at"])
        parse_utc(at)
        if kind == "offer":
            self._offered(message, signal, call_id, at)
            return
        record = self._store.get_call(call_id)
        if record is None or record.peer != message.peer:
            raise CallError(f"{kind} for {call_id}, not a call with {message.peer}")
        if record.state == CallState.ENDED:
            log.info("call %s: %s after the end, ignored", call_id, kind)
            return
        if kind == "ringing" and record.direction is Direction.OUT:
            if record.state == CallState.CALLING:
                self._put(self._step(record, CallEvent.RANG))
        elif kind == "answer" and record.direction is Direction.OUT:
            signed = self._signed_sdp_or_fail(record, message, signal)
            if signed is None:
                return
            sdp, fingerprint = signed
            record = self._step(
                record,
                CallEvent.ANSWERED,
                answered_at=at,
                answered_by=str(signal.get("by") or "") or None,
                peer_fingerprint=fingerprint,
            )
            self._remote(record, "answer", sdp)
            self._put(record)
            self._journal("call answered", self.view(record))
        elif kind == "decline" and record.direction is Direction.OUT:
            next_state(record.state, CallEvent.DECLINED)
            self._end(record, "declined", None, at=at, by=str(signal.get("by") or "") or None)
        elif kind == "hangup":
            outcome = str(signal["outcome"])
            if outcome not in CALL_OUTCOMES:
                raise CallError(f"unknown outcome {outcome!r}")
            if outcome == "completed" and record.answered_at is None:
                outcome = "missed"
            reason = signal.get("reason")
            self._end(
                record,
                outcome,
                None if reason is None else str(reason)[:_MAX_REASON_CHARS],
                at=at,
                by=str(signal.get("by") or "") or None,
            )
        elif kind == "sdp":
            signed = self._signed_sdp_or_fail(record, message, signal)
            if signed is None:
                return
            sdp, fingerprint = signed
            expected = "answer" if record.direction is Direction.OUT else "offer"
            if str(signal["sdp_type"]) != expected or fingerprint != record.peer_fingerprint:
                self._fail_refused(record, message, "a restart SDP that does not fit the call")
                return
            record = self._step(record, CallEvent.RENEGOTIATED)
            self._remote(record, expected, sdp)
        elif kind == "candidate":
            live = self._live_of(record)
            if len(live.candidates) < _MAX_CANDIDATES:
                live.candidates.append(_check_candidate(signal["candidate"]))
        else:
            raise CallError(f"a {kind!r} signal does not fit a {record.direction} call")
        self._publish("calls", record.id)

    def _offered(
        self, message: MessageRecord, signal: dict[str, Any], call_id: str, at: str
    ) -> None:
        if self._store.get_call(call_id) is not None:
            raise CallError(f"call {call_id} is already known")
        kind = str(signal["kind"])
        if kind not in ("video", "audio"):
            raise CallError(f"a call is video or audio, not {kind!r}")
        ring_timeout = min(float(signal.get("ring_timeout", self._settings.ring_timeout)), 600.0)
        record = CallRecord(
            id=call_id,
            peer=message.peer,
            direction=Direction.IN,
            channel=message.channel,
            kind=kind,
            state=CallState.RINGING,
            requested_at=at,
            placed_by=str(signal.get("by") or "") or None,
        )
        try:
            sdp, fingerprint = self._signed_sdp(signal)
        except InvalidArgument as exc:
            self._fail_refused(record, message, str(exc))
            return
        record = dataclasses.replace(record, peer_fingerprint=fingerprint)
        deadline = parse_utc(at).timestamp() + ring_timeout
        if self._clock.now().timestamp() >= deadline:
            # The offer waited out its ring time in a queue (the line was down).
            self._end(
                record,
                "missed",
                f"the call arrived after its {ring_timeout:g} s ring time (the line was down)",
                at=format_utc(self._clock.now()),
                by=None,
                tell_peer=True,
            )
            return
        self._live[call_id] = LiveCall(ring_deadline=deadline)
        self._remote(record, "offer", sdp)
        with self._store.transaction():
            self._store.put_call(record)
            self._signal(
                record,
                f"CALL: ringing at {self._party}",
                type="ringing",
                at=format_utc(self._clock.now()),
            )
            self._journal("call requested", self.view(record))
        self._publish("calls", call_id)

    def _signed_sdp(self, signal: Mapping[str, Any]) -> tuple[str, str]:
        """The SDP of a signal and its signed fingerprint, which must be the SDP's own."""
        sdp, signed = str(signal["sdp"]), str(signal["fingerprint"])
        if sdp_fingerprint(sdp) != signed:
            raise InvalidArgument(
                "tampered signaling: the signed DTLS fingerprint is not the one in the SDP"
            )
        return sdp, signed

    def _signed_sdp_or_fail(
        self, record: CallRecord, message: MessageRecord, signal: Mapping[str, Any]
    ) -> tuple[str, str] | None:
        """The signal's SDP and fingerprint; a mismatch is refused and ends the call as failed."""
        try:
            return self._signed_sdp(signal)
        except InvalidArgument as exc:
            self._fail_refused(record, message, str(exc))
            return None

    # -- the clock and the line --------------------------------------------------

    def tick(self) -> None:
        """Ring and reconnect timeouts, and the line (why it is down, if it is)."""
        line_down = self._line_down
        if not self._live:
            return  # no call in progress (the common case: no query every tick)
        now = self._clock.now().timestamp()
        for record in self._store.live_calls():
            live = self._live.get(record.id)
            if live is None:
                continue
            down = line_down(record.peer)
            if record.state in (CallState.CALLING, CallState.RINGING):
                if down:
                    self._end(
                        record,
                        "failed",
                        f"{down} before the call was answered",
                        by=None,
                        tell_peer=True,
                    )
                elif now >= live.ring_deadline:
                    timeout = round(live.ring_deadline - parse_utc(record.requested_at).timestamp())
                    self._end(
                        record, "missed", f"no answer within {timeout:g} s", by=None, tell_peer=True
                    )
                continue
            record = self._follow_path(record, line_down=down)
            if (
                record.state == CallState.RECONNECTING
                and live.lost_since is not None
                and now - live.lost_since >= self._settings.reconnect_timeout
            ):
                self._end(
                    record,
                    "failed",
                    f"{live.lost_reason} for {self._settings.reconnect_timeout:g} s",
                    by=None,
                    tell_peer=True,
                )

    def load(self) -> None:
        self.fail_interrupted()

    def fail_interrupted(self) -> None:
        """At start: calls live when the terminal stopped cannot go on (the SDP was in memory)."""
        for record in self._store.live_calls():
            self._end(
                record, "failed", "the terminal restarted during the call", by=None, tell_peer=True
            )

    def _follow_path(self, record: CallRecord, *, line_down: str) -> CallRecord:
        if record.state not in (CallState.CONNECTED, CallState.RECONNECTING):
            return record
        live = self._live_of(record)
        if line_down:
            lost = line_down
        elif live.media in ("disconnected", "failed"):
            lost = "the media path is lost"
        else:
            lost = ""
        if lost and record.state == CallState.CONNECTED:
            live.lost_since, live.lost_reason = self._clock.now().timestamp(), lost
            record = self._put(self._step(record, CallEvent.PATH_LOST))
            self._journal(
                "call reconnecting", {"id": record.id, "peer": record.peer, "reason": lost}
            )
            self._publish("calls", record.id)
        elif not lost and record.state == CallState.RECONNECTING:
            live.lost_since, live.lost_reason = None, ""
            record = self._put(self._step(record, CallEvent.PATH_BACK))
            self._journal("call reconnected", {"id": record.id, "peer": record.peer})
            self._publish("calls", record.id)
        return record

    # -- helpers -----------------------------------------------------------------

    def _incoming(self, call_id: str, what: str) -> CallRecord:
        record = self.get(call_id)
        if record.direction is not Direction.IN:
            raise CallError(f"only the called party can {what} a call")
        return record

    def _live_of(self, record: CallRecord) -> LiveCall:
        live = self._live.get(record.id)
        if live is None:
            live = self._live[record.id] = LiveCall(ring_deadline=0.0)
        return live

    def _step(self, record: CallRecord, event: CallEvent, **changes: Any) -> CallRecord:
        return dataclasses.replace(record, state=str(next_state(record.state, event)), **changes)

    def _put(self, record: CallRecord) -> CallRecord:
        self._store.put_call(record)
        return record

    def _remote(self, record: CallRecord, sdp_type: str, sdp: str) -> None:
        live = self._live_of(record)
        live.remote_type, live.remote_sdp = sdp_type, sdp
        live.remote_rev += 1

    def _end(
        self,
        record: CallRecord,
        outcome: str,
        reason: str | None,
        *,
        by: str | None,
        at: str | None = None,
        tell_peer: bool = False,
    ) -> CallRecord:
        at = at or format_utc(self._clock.now())
        if record.answered_at is not None and at < record.answered_at:
            at = record.answered_at  # clocks differ a little; a call never ends before its answer
        ended = dataclasses.replace(
            record,
            state=str(CallState.ENDED),
            outcome=outcome,
            reason=reason,
            ended_at=at,
            ended_by=by,
        )
        with self._store.transaction():
            self._store.put_call(ended)
            if tell_peer:
                self._signal(
                    ended,
                    f"CALL ENDED: {outcome}" + (f" ({reason})" if reason else ""),
                    type="decline" if outcome == "declined" else "hangup",
                    at=at,
                    outcome=outcome,
                    reason=reason,
                    by=by,
                )
            self._journal("call ended", self.view(ended))
        self._live.pop(record.id, None)
        self._publish("calls", record.id)
        return ended

    def _fail_refused(self, record: CallRecord, message: MessageRecord, reason: str) -> None:
        self._refuse(message, reason)
        if self._store.get_call(record.id) is None:
            self._store.put_call(record)
        self._end(record, "failed", reason, by=None, tell_peer=True)

    def _signal(self, record: CallRecord, text: str, **signal: Any) -> MessageRecord:
        return self._send(
            CALL_KIND, record.peer, record.channel, text, {"call": {"id": record.id, **signal}}
        )

    def _journal(self, kind: str, data: Mapping[str, Any]) -> None:
        # The journal holds no floats (its hash must not depend on float formatting).
        entry = {k: v for k, v in data.items() if not isinstance(v, float)}
        if isinstance(data.get("duration"), float):
            entry["duration_ms"] = round(data["duration"] * 1000)
        self._store.append_journal(kind=kind, at=format_utc(self._clock.now()), data=entry)

    def _refuse(self, message: MessageRecord, reason: str) -> None:
        refuse_content(self._store, self._clock, message, what="call signal", reason=reason)


def _check_candidate(candidate: Any) -> dict[str, Any]:
    """A trickled ICE candidate as the browser gives it (RTCIceCandidateInit)."""
    if not isinstance(candidate, Mapping):
        raise InvalidArgument("a candidate is an object with candidate, sdpMid, sdpMLineIndex")
    text = candidate.get("candidate")
    mid = candidate.get("sdpMid")
    index = candidate.get("sdpMLineIndex")
    if not isinstance(text, str) or len(text) > _MAX_CANDIDATE_CHARS:
        raise InvalidArgument(
            f"candidate must be text of at most {_MAX_CANDIDATE_CHARS} characters"
        )
    if mid is not None and (not isinstance(mid, str) or len(mid) > 32):
        raise InvalidArgument("sdpMid must be short text or null")
    if index is not None and (
        isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < 64
    ):
        raise InvalidArgument("sdpMLineIndex must be a small whole number or null")
    return {"candidate": text, "sdpMid": mid, "sdpMLineIndex": index}
