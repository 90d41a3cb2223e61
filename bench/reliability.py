"""Reliability over real network faults: lost, duplicated, out of order, and failover time.

Two ``hotline run`` processes, Washington and Moscow, live in two network
namespaces joined by two routes (``hotline.testing.netns``; needs root, ``ip``
and ``nft``). Two phases, on the same pair:

1. Failover. Both routes up, no loss; Washington queues one message every
   20 ms. The route carrying the traffic is cut ``--cuts`` times, the other
   route up. The failover time of a cut is from the cut to the first arrival
   at Moscow (its stored ``delivered_at``) of a message Washington queued
   after the cut had taken effect: that message cannot have used the cut
   route. The route is healed and the line left to settle before the next cut.
2. Chaos. ``--messages`` messages, half each way, paced over the fault
   schedule: both routes flap at random (each cut and healed at random
   intervals, never both down longer than ``--max-both-down`` s), ``--loss`` %
   packet loss on both routes, and ``--kills`` SIGKILLs of EACH terminal at
   random, spaced times, each restarted. Then everything is healed and the
   run waits until nothing is queued on either side.

Afterwards every message of both phases is checked, in each direction: lost
(accepted or stored at the sender, absent at the receiver), duplicated,
out of order (serial disagreement between the two sides, a gap in the
sender's serials, arrival out of serial order, or serial order not queue
order). All three must be 0, and ``hotline verify`` must pass on both sides,
or the exit status is 1.

The schedule is a pure function of ``--seed`` (:func:`fault_schedule`).

    .venv/bin/python -m bench.reliability --messages 10000 --kills 10 --loss 5 --seed 1 --json
"""

from __future__ import annotations

import argparse
import functools
import itertools
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bench.report import JSON_HELP, emit_json
from hotline.errors import ConfigError, DaemonError
from hotline.terminal import ControlClient, percentile
from hotline.testing.netns import NamespacedTerminal, NetnsLab
from hotline.utc import format_utc, from_epoch, parse_utc

__all__ = [
    "DirectionReport",
    "FaultAction",
    "FaultEvent",
    "all_down_spans",
    "analyse_direction",
    "failover_times",
    "fault_schedule",
    "main",
]

PARTIES = ("Washington", "Moscow")
#: Seconds between failover-stream messages.
STREAM_INTERVAL = 0.02
#: After a heal, the line gets this long to settle (re-dial, warm standby) before the next cut.
SETTLE = 3.0
#: A cut that does not fail over within this long is reported as a failover timeout.
FAILOVER_TIMEOUT = 30.0


# -- the fault schedule (pure) -------------------------------------------------------


class FaultAction(StrEnum):
    CUT = "cut"
    HEAL = "heal"
    KILL = "kill"
    RESTART = "restart"


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultEvent:
    """One step of a fault schedule: ``at`` seconds after the chaos phase starts."""

    at: float
    action: FaultAction
    route: int | None = None
    party: str | None = None

    def __post_init__(self) -> None:
        if self.at < 0:
            raise ConfigError(f"a fault cannot happen before the start: {self.at}")
        on_route = self.action in (FaultAction.CUT, FaultAction.HEAL)
        if on_route != (self.route is not None) or on_route == (self.party is not None):
            raise ConfigError(f"{self.action} needs a route or a party, and only that one")


#: At the same instant a heal comes before a cut, so two routes never both look down.
_RANK = {FaultAction.HEAL: 0, FaultAction.CUT: 1, FaultAction.KILL: 2, FaultAction.RESTART: 3}


def _order(event: FaultEvent) -> tuple[float, int, str]:
    return (event.at, _RANK[event.action], str(event.route or event.party))


def fault_schedule(
    *,
    seed: int,
    duration: float,
    kills: int,
    parties: Sequence[str] = PARTIES,
    routes: int = 2,
    max_both_down: float = 3.0,
    kill_gap: float = 5.0,
    restart_delay: tuple[float, float] = (0.2, 1.0),
    up: tuple[float, float] = (2.0, 8.0),
    down: tuple[float, float] = (0.3, 4.0),
) -> tuple[FaultEvent, ...]:
    """Route flaps and kills for one chaos run, in time order, reproducible from ``seed``.

    Each route alternates up (``up`` seconds, uniform) and down (``down``
    seconds); where every route would be down at once for longer than
    ``max_both_down``, the route that heals first heals earlier. Each party
    is killed ``kills`` times; consecutive kills (of anyone) are at least
    ``kill_gap`` apart, and each is followed by that party's restart after
    ``restart_delay`` seconds, before the next kill. Everything is healed and
    restarted by ``duration``.
    """
    if duration <= 0 or kills < 0 or routes < 1 or max_both_down <= 0:
        raise ConfigError("a schedule needs duration > 0, kills >= 0, routes >= 1, bound > 0")
    if not 0 < restart_delay[0] <= restart_delay[1] < kill_gap:
        raise ConfigError("restarts must come after the kill and before the next kill")
    if not (0 < up[0] <= up[1] and 0 < down[0] <= down[1]):
        raise ConfigError("up and down intervals must be positive ranges")
    rng = random.Random(seed)
    spans: dict[int, list[list[float]]] = {}
    for route in range(1, routes + 1):
        spans[route] = []
        at = rng.uniform(*up)
        while True:
            length = rng.uniform(*down)
            if at + length >= duration:
                break
            spans[route].append([at, at + length])
            at += length + rng.uniform(*up)
    _bound_all_down(spans, max_both_down)

    count = kills * len(parties)
    lead, tail = 2.0, restart_delay[1] + 1.0
    slack = duration - lead - tail - max(count - 1, 0) * kill_gap
    if count and slack < 0:
        raise ConfigError(
            f"{count} kills {kill_gap} s apart do not fit in {duration} s; give a longer duration"
        )
    offsets = sorted(rng.uniform(0, slack) for _ in range(count))
    victims = [party for party in parties for _ in range(kills)]
    rng.shuffle(victims)

    events = _events_of(spans)
    for index, (offset, party) in enumerate(zip(offsets, victims, strict=True)):
        kill_at = lead + offset + index * kill_gap
        events.append(FaultEvent(at=kill_at, action=FaultAction.KILL, party=party))
        restart_at = kill_at + rng.uniform(*restart_delay)
        events.append(FaultEvent(at=restart_at, action=FaultAction.RESTART, party=party))
    return tuple(sorted(events, key=_order))


def _bound_all_down(spans: dict[int, list[list[float]]], bound: float) -> None:
    """Shorten down spans in place until no moment has every route down for over ``bound`` s."""
    while True:
        too_long = [
            (start, end)
            for start, end in all_down_spans(_events_of(spans), len(spans))
            if end - start > bound + 1e-9
        ]
        if not too_long:
            return
        start, end = too_long[0]
        # The all-down span ends when the first of the routes heals: heal that one
        # earlier. Heals only ever move earlier, so no new all-down time appears.
        first_to_heal = next(
            span
            for route_spans in spans.values()
            for span in route_spans
            if span[0] <= start and abs(span[1] - end) < 1e-9
        )
        first_to_heal[1] = start + bound


def _events_of(spans: Mapping[int, Sequence[Sequence[float]]]) -> list[FaultEvent]:
    events = [
        FaultEvent(at=at, action=action, route=route)
        for route, route_spans in spans.items()
        for start, end in route_spans
        for at, action in ((start, FaultAction.CUT), (end, FaultAction.HEAL))
    ]
    return sorted(events, key=_order)


def all_down_spans(events: Sequence[FaultEvent], routes: int) -> list[tuple[float, float]]:
    """The (start, end) times at which all ``routes`` routes were down at once."""
    down: set[int] = set()
    since: float | None = None
    found = []
    for event in sorted(events, key=_order):
        if event.route is None:
            continue
        if event.action is FaultAction.CUT:
            down.add(event.route)
            if len(down) == routes and since is None:
                since = event.at
        else:
            down.discard(event.route)
            if since is not None:
                found.append((since, event.at))
                since = None
    if since is not None:
        found.append((since, float("inf")))
    return found


# -- checking what arrived (pure) ------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectionReport:
    """What one direction's messages came to."""

    sent: int  # stored at the sender
    accepted: int  # ids the sender's API returned
    received: int  # stored at the receiver
    lost: int
    duplicated: int
    out_of_order: int

    @property
    def ok(self) -> bool:
        return self.lost == self.duplicated == self.out_of_order == 0


def _index(text: str) -> tuple[str, int] | None:
    prefix, _, number = text.rpartition(" ")
    return (prefix, int(number)) if number.isdigit() else None


def analyse_direction(
    *,
    accepted: Sequence[str],
    sent: Sequence[Mapping[str, Any]],
    received: Sequence[Mapping[str, Any]],
) -> DirectionReport:
    """Compare the sender's outgoing records with the receiver's incoming ones.

    Texts are ``"PREFIX INDEX"``, queued in index order per prefix, so serial
    order must be index order.
    """
    sent_ids = [m["id"] for m in sent]
    received_ids = [m["id"] for m in received]
    lost = len((set(sent_ids) | set(accepted)) - set(received_ids))
    serials_in = [m["serial"] for m in received]
    duplicated = max(
        len(received_ids) - len(set(received_ids)), len(serials_in) - len(set(serials_in))
    )
    serial_out = {m["id"]: m["serial"] for m in sent}
    disagree = sum(
        1 for m in received if m["id"] in serial_out and serial_out[m["id"]] != m["serial"]
    )
    gaps = len(set(range(1, len(sent) + 1)) - set(serial_out.values()))
    arrival = sorted(received, key=lambda m: (m["delivered_at"] or "", m["serial"]))
    late = sum(1 for a, b in itertools.pairwise(arrival) if b["serial"] < a["serial"])
    last: dict[str, int] = {}
    misqueued = 0
    for message in sorted(sent, key=lambda m: m["serial"]):
        parsed = _index(message["text"])
        if parsed is None:
            continue
        prefix, number = parsed
        if number < last.get(prefix, -1):
            misqueued += 1
        last[prefix] = number
    return DirectionReport(
        sent=len(sent),
        accepted=len(accepted),
        received=len(received),
        lost=lost,
        duplicated=duplicated,
        out_of_order=disagree + gaps + late + misqueued,
    )


def failover_times(
    cuts: Sequence[tuple[float, float]], received: Sequence[Mapping[str, Any]]
) -> list[float | None]:
    """Per cut (epoch seconds before and after the cut command), seconds to the next arrival.

    The next arrival is the earliest ``delivered_at`` of a message whose
    ``sent_at`` (queued) is after the cut had taken effect; None if none.
    """
    stamped = [
        (parse_utc(m["sent_at"]).timestamp(), parse_utc(m["delivered_at"]).timestamp())
        for m in received
        if m.get("sent_at") and m.get("delivered_at")
    ]
    times: list[float | None] = []
    for before, after in cuts:
        arrivals = [arrived for queued, arrived in stamped if queued > after]
        times.append(min(arrivals) - before if arrivals else None)
    return times


# -- running it --------------------------------------------------------------------------


class _Stream(threading.Thread):
    """Queue ``count`` messages (or until stopped) at a steady rate, retrying over kills."""

    def __init__(
        self,
        terminal: NamespacedTerminal,
        to: str,
        prefix: str,
        *,
        interval: float,
        count: int | None = None,
    ) -> None:
        super().__init__(name=f"stream {prefix}", daemon=True)
        self.terminal, self.to, self.prefix = terminal, to, prefix
        self.interval, self.count = interval, count
        self.accepted: list[str] = []
        self.errors: list[str] = []
        self.finished_at: float | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        client = self.terminal.client(timeout=30)
        started = time.monotonic()
        for index in itertools.count():
            if self.stopping.is_set() or (self.count is not None and index >= self.count):
                break
            delay = started + index * self.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            while True:
                try:
                    reply = client.send(to=self.to, text=f"{self.prefix} {index:06d}")
                    self.accepted.append(reply["id"])
                    break
                except DaemonError:
                    time.sleep(0.02)  # killed mid-request: not accepted, send again
                except Exception as exc:
                    self.errors.append(repr(exc))
                    return
        self.finished_at = time.monotonic()


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except DaemonError:
            pass
        time.sleep(0.05)
    return False


def _queued(terminal: NamespacedTerminal) -> int:
    return sum(peer["queued"] for peer in terminal.status()["peers"])


def _log(text: str) -> None:
    print(f"[{format_utc(from_epoch(time.time()))[11:23]}] {text}", file=sys.stderr, flush=True)


def _arrived_after(client: ControlClient, moment: float) -> bool:
    """Whether a message queued after ``moment`` (epoch seconds) has arrived."""
    newest = client.messages(direction="in", limit=5)
    return any(parse_utc(m["sent_at"]).timestamp() > moment for m in newest)


def _carrying_route(terminal: NamespacedTerminal) -> int:
    """The one route the terminal's traffic is on, once it is on exactly one."""
    seen: list[frozenset[int]] = [frozenset()]

    def single() -> bool:
        seen[0] = terminal.carrying_routes()
        return len(seen[0]) == 1

    if not _wait(single, FAILOVER_TIMEOUT):
        raise DaemonError(f"cannot tell which route carries the traffic ({set(seen[0])})")
    return next(iter(seen[0]))


def _settle(terminal: NamespacedTerminal) -> None:
    """Give the line time to use a healed route again before the next cut.

    A terminal that reports per-route state is waited for until every route is
    up (a warm standby again); otherwise the line gets a fixed ``SETTLE``.
    """

    def all_up() -> bool:
        peers = terminal.status()["peers"]
        routes = [r for p in peers for r in p.get("routes") or ()]
        return bool(routes) and all(r.get("state") == "up" for r in routes)

    reports_routes = any("routes" in p for p in terminal.status()["peers"])
    if reports_routes and _wait(all_up, 15.0):
        time.sleep(0.5)
    else:
        time.sleep(SETTLE)


def _failover_phase(
    lab: NetnsLab, washington: NamespacedTerminal, moscow: NamespacedTerminal, cuts: int
) -> tuple[list[tuple[float, float]], list[int], _Stream]:
    stream = _Stream(washington, "Moscow", "F", interval=STREAM_INTERVAL)
    stream.start()
    marks: list[tuple[float, float]] = []
    routes: list[int] = []
    client = moscow.client()
    _settle(washington)
    for number in range(cuts):
        route = _carrying_route(washington)
        before = time.time()
        lab.cut(route)
        after = time.time()
        arrived = _wait(functools.partial(_arrived_after, client, after), FAILOVER_TIMEOUT)
        _log(
            f"failover cut {number + 1}/{cuts}: route {route}"
            + ("" if arrived else f" - nothing arrived within {FAILOVER_TIMEOUT} s")
        )
        marks.append((before, after))
        routes.append(route)
        lab.heal(route)
        _settle(washington)
    stream.stopping.set()
    stream.join()
    return marks, routes, stream


@dataclass(slots=True)
class _ChaosOutcome:
    streams: list[_Stream]
    executed: list[FaultEvent]  # the schedule as it really ran, with actual times
    restart_errors: list[str]
    deliver_all: float
    drain: float


class _Restarter:
    """Restarts run beside the schedule: a terminal takes ~2 s to start, and a heal
    waiting behind it would stretch a both-routes-down span past its bound."""

    def __init__(self) -> None:
        self.threads: dict[str, threading.Thread] = {}
        self.errors: list[str] = []

    def start(self, terminal: NamespacedTerminal) -> None:
        self.join(terminal.party)
        thread = threading.Thread(target=self._run, args=(terminal,), daemon=True)
        self.threads[terminal.party] = thread
        thread.start()

    def _run(self, terminal: NamespacedTerminal) -> None:
        try:
            terminal.start(timeout=60)
        except DaemonError as exc:
            self.errors.append(f"restart of {terminal.party}: {exc}")

    def join(self, party: str | None = None) -> None:
        for name, thread in list(self.threads.items()):
            if party is None or name == party:
                thread.join()


def _chaos_phase(
    lab: NetnsLab,
    terminals: Mapping[str, NamespacedTerminal],
    schedule: Sequence[FaultEvent],
    *,
    each_way: int,
    duration: float,
    loss: int,
) -> _ChaosOutcome:
    """Run the schedule under loss while both streams flow, then wait for every delivery."""
    for route in lab.routes:
        lab.loss(route, loss)
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    interval = duration / max(each_way, 1)
    streams = [
        _Stream(washington, "Moscow", "W->M", interval=interval, count=each_way),
        _Stream(moscow, "Washington", "M->W", interval=interval, count=each_way),
    ]
    restarter = _Restarter()
    executed: list[FaultEvent] = []
    started = time.monotonic()
    for stream in streams:
        stream.start()
    for event in schedule:
        delay = started + event.at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        at = time.monotonic() - started
        if event.action is FaultAction.CUT and event.route is not None:
            lab.cut(event.route)
        elif event.action is FaultAction.HEAL and event.route is not None:
            lab.heal(event.route)
        elif event.action is FaultAction.KILL and event.party is not None:
            restarter.join(event.party)  # its last restart must have finished
            terminals[event.party].kill()
        elif event.action is FaultAction.RESTART and event.party is not None:
            restarter.start(terminals[event.party])
        executed.append(
            FaultEvent(at=at, action=event.action, route=event.route, party=event.party)
        )
        _log(f"t={at:7.2f} {event.action} {event.route or event.party}")
    restarter.join()
    for route in lab.faults().cut:
        lab.heal(route)  # the schedule heals every cut itself; this is a guard
    _log("schedule done; routes up, loss stays until everything is delivered")
    for stream in streams:
        stream.join()
    last_send = max(stream.finished_at or time.monotonic() for stream in streams)
    if not _wait(lambda: _queued(washington) + _queued(moscow) == 0, 600):
        raise DaemonError("messages still queued 600 s after the end of the schedule")
    done = time.monotonic()
    lab.heal_all()
    return _ChaosOutcome(
        streams=streams,
        executed=executed,
        restart_errors=restarter.errors,
        deliver_all=done - started,
        drain=done - last_send,
    )


def _commit() -> str:
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return result.stdout.strip()


def _spread(values: Sequence[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"min": 0.0, "p50": 0.0, "max": 0.0}
    return {"min": ordered[0], "p50": percentile(ordered, 0.50), "max": ordered[-1]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    each_way = args.messages // 2
    duration = args.duration or max(60.0, args.kill_gap * (2 * args.kills + 1) + 5.0)
    schedule = fault_schedule(
        seed=args.seed,
        duration=duration,
        kills=args.kills,
        max_both_down=args.max_both_down,
        kill_gap=args.kill_gap,
    )
    root = Path(tempfile.mkdtemp(prefix="hotline-reliability-"))
    with NetnsLab(subnet=args.subnet) as lab:
        terminals = {
            "Washington": NamespacedTerminal(lab, "a", root / "washington", party="Washington"),
            "Moscow": NamespacedTerminal(lab, "b", root / "moscow", party="Moscow"),
        }
        washington, moscow = terminals["Washington"], terminals["Moscow"]
        for terminal in terminals.values():
            terminal.init()
        washington.pair_with(moscow)
        for terminal in terminals.values():
            terminal.start()
        if not _wait(lambda: washington.carrying_routes() != frozenset(), 30):
            raise DaemonError("the terminals did not link up")
        _log(f"lab {lab.tag}: {lab.subnet}, terminals in {root}")

        marks, cut_routes, failover_stream = _failover_phase(lab, washington, moscow, args.cuts)
        _log(f"chaos: {each_way} each way over {duration:.0f} s, {len(schedule)} fault events")
        chaos = _chaos_phase(
            lab, terminals, schedule, each_way=each_way, duration=duration, loss=args.loss
        )
        streams = chaos.streams

        records = {
            party: {
                "out": terminal.client(timeout=120).messages(direction="out"),
                "in": terminal.client(timeout=120).messages(direction="in"),
            }
            for party, terminal in terminals.items()
        }
        for terminal in terminals.values():
            terminal.stop()
        verified = {party: terminal.verify() for party, terminal in terminals.items()}
        stderr_tail = {party: t.stderr()[-1500:] for party, t in terminals.items()}

    errors = [e for s in (failover_stream, *streams) for e in s.errors] + chaos.restart_errors
    reports = {
        "W->M": analyse_direction(
            accepted=failover_stream.accepted + streams[0].accepted,
            sent=records["Washington"]["out"],
            received=records["Moscow"]["in"],
        ),
        "M->W": analyse_direction(
            accepted=streams[1].accepted,
            sent=records["Moscow"]["out"],
            received=records["Washington"]["in"],
        ),
    }
    fails = failover_times(marks, records["Moscow"]["in"])
    measured = [f for f in fails if f is not None]
    kill_counts = Counter(e.party for e in schedule if e.action is FaultAction.KILL)
    return {
        "benchmark": "reliability",
        "directory": str(root),
        "commit": _commit(),
        "date": format_utc(from_epoch(time.time()))[:10],
        "command": "python -m bench.reliability " + " ".join(sys.argv[1:]),
        "seed": args.seed,
        "messages": {
            "each_way": each_way,
            "sent": sum(r.sent for r in reports.values()),
            "accepted": sum(r.accepted for r in reports.values()),
            "lost": sum(r.lost for r in reports.values()),
            "duplicated": sum(r.duplicated for r in reports.values()),
            "out_of_order": sum(r.out_of_order for r in reports.values()),
        },
        "directions": {name: asdict(report) for name, report in reports.items()},
        "chaos": {
            "duration_s": duration,
            "loss_percent": args.loss,
            "route_cuts": sum(1 for e in schedule if e.action is FaultAction.CUT),
            "both_down_max_s": round(
                max(
                    (end - start for start, end in all_down_spans(chaos.executed, lab.route_count)),
                    default=0.0,
                ),
                3,
            ),
            "kills": dict(kill_counts),
            "deliver_all_s": round(chaos.deliver_all, 2),
            "drain_after_last_send_s": round(chaos.drain, 2),
        },
        "failover": {
            "cuts": len(marks),
            "routes_cut": cut_routes,
            "measured_at": "receiver (delivered_at of the first message queued after the cut)",
            "timeouts": len(fails) - len(measured),
            "samples_s": [round(f, 3) for f in measured],
            **{key: round(value, 3) for key, value in _spread(measured).items()},
            "goal_s": 1.5,
        },
        "verify": {party: result.returncode == 0 for party, result in verified.items()},
        "verify_output": {party: result.stdout.strip() for party, result in verified.items()},
        "stream_errors": errors,
        "stderr_tail": stderr_tail if errors else {},
    }


def summary(result: Mapping[str, Any]) -> str:
    m, c, f = result["messages"], result["chaos"], result["failover"]
    lines = [
        f"reliability, seed {result['seed']}, commit {result['commit']}, {result['date']}",
        f"  messages     {m['each_way']} each way; sent {m['sent']}  lost {m['lost']}  "
        f"duplicated {m['duplicated']}  out of order {m['out_of_order']}",
        f"  chaos        {c['duration_s']:.0f} s schedule, {c['loss_percent']} % loss, "
        f"{c['route_cuts']} route cuts (both down at most {c['both_down_max_s']:.2f} s), "
        f"kills {c['kills']}",
        f"  delivered    everything {c['deliver_all_s']:.1f} s after the chaos began, "
        f"{c['drain_after_last_send_s']:.1f} s after the last send",
        f"  failover     {f['cuts']} cuts: min {f['min']:.3f} s  p50 {f['p50']:.3f} s  "
        f"max {f['max']:.3f} s  (goal <= {f['goal_s']} s; {f['timeouts']} timed out)",
        f"  verify       {', '.join(f'{p}: {ok}' for p, ok in result['verify'].items())}",
    ]
    if result["stream_errors"]:
        lines.append(f"  ERRORS       {result['stream_errors'][:5]}")
    return "\n".join(lines)


def failed(result: Mapping[str, Any]) -> bool:
    m = result["messages"]
    return bool(
        m["lost"]
        or m["duplicated"]
        or m["out_of_order"]
        or not all(result["verify"].values())
        or result["stream_errors"]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000, help="in all, half each way")
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs of EACH terminal")
    parser.add_argument("--loss", type=int, default=5, help="percent packet loss on both routes")
    parser.add_argument("--seed", type=int, default=1, help="fault schedule seed")
    parser.add_argument("--cuts", type=int, default=10, help="failover cuts to time")
    parser.add_argument("--duration", type=float, help="chaos schedule length, s (default: fit)")
    parser.add_argument("--max-both-down", type=float, default=3.0, help="seconds (default 3)")
    parser.add_argument("--kill-gap", type=float, default=5.0, help="seconds between kills")
    parser.add_argument("--subnet", default="10.201.0.0/16", help="the lab's private /16")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    parser.add_argument(
        "--keep", action="store_true", help="keep the terminals' directories (kept on failure)"
    )
    args = parser.parse_args(argv)
    if args.messages < 2 or not 0 <= args.loss <= 100 or args.cuts < 0:
        parser.error("need --messages >= 2, 0 <= --loss <= 100, --cuts >= 0")
    reason = NetnsLab.available()
    if reason is not None:
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    result = run(args)
    print(summary(result))
    if args.json:
        emit_json(
            "reliability",
            result,
            messages=args.messages,
            kills=args.kills,
            loss=args.loss,
            seed=args.seed,
            cuts=args.cuts,
        )
    if failed(result) or args.keep:
        print(f"terminal directories kept in {result['directory']}", file=sys.stderr)
    else:
        shutil.rmtree(result["directory"], ignore_errors=True)
    return 1 if failed(result) else 0


if __name__ == "__main__":
    sys.exit(main())
