"""``hotline status DIR [--json]``: the terminal, the line to each peer route by route, alarms.

A peer's line is ``up`` (every route up), ``degraded`` (some) or ``down``
(none). The route marked ``*`` carries the traffic. The JSON form is the
contract documented in the README ("Line status"). ``hotline.toml`` is checked
first, so an edit the terminal would refuse at its next start is reported now.
"""

from __future__ import annotations

import argparse
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.freetext import for_terminal
from hotline.terminal import ControlClient, TerminalPaths, load_settings

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "status", help="show the line to each peer, route by route, and the open alarms"
    )
    add_directory(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = TerminalPaths(args.directory)
    if paths.is_initialised():
        # The daemon read hotline.toml when it started; an edit since (a misspelt
        # key, a bad value) would stop its next start, so say so now.
        load_settings(paths.config)
    with ControlClient(args.directory) as client:
        status = client.status()
    if args.json:
        print_json(status)
        return 0
    print(f"{status['party']}  fingerprint {status['fingerprint']}")
    role = status.get("role", "active")
    epoch = status.get("epoch")
    print(f"role: {role}" + (f" (fencing epoch {epoch})" if epoch is not None else ""))
    if role != "active":
        print("a standby listens to no peer until it takes the lead (docs/ha.md)")
        return 0
    print(f"listening on {', '.join(status['listen'])}")
    if status.get("keys") == "unprotected":
        print("keys unprotected: the private keys are not encrypted at rest (docs/keys.md)")
    if status.get("signing_key", "software key").startswith("token "):
        print(f"signing key in {status['signing_key']}")
    if status.get("cpu_wake", "not asked") != "not asked":
        print(f"performance: {status['cpu_wake']}")
    if not status["peers"]:
        print("no peers yet (add one with: hotline peer add)")
    for peer in status["peers"]:
        line = f"  {peer['party']:<16} {peer['state'].upper():<8} queued {peer['queued']:<6}"
        line += f" last contact {peer['last_contact'] or 'never'}"
        line += "  in use" if peer["in_use"] else ""
        print(line)
        if peer["state"] == "blocked":
            # A master change awaiting its fingerprint check (docs/keys.md).
            print("    blocked: master key changed, fingerprint not confirmed")
            print(f"    {for_terminal(peer['last_error'] or '', one_line=True)}")
        counts = peer["messages"]
        print(
            f"    sent to it: {counts['queued']} queued, {counts['sent']} sent, "
            f"{counts['delivered']} delivered, {counts['acknowledged']} acknowledged"
            + (f", {counts['overdue']} OVERDUE" if counts["overdue"] else "")
        )
        for route in peer["routes"]:
            print("    " + _route_line(route))
    alarms = status["alarms"]
    print(f"{len(alarms)} open alarm{'s' if len(alarms) != 1 else ''}" if alarms else "no alarms")
    for alarm in alarms:
        where = alarm["route"] or "whole line"
        print(f"  {alarm['kind'].upper()} {alarm['peer']} {where} since {alarm['since']}")
        print(f"    {for_terminal(alarm['detail'], one_line=True)}")
    return 0


def _route_line(route: dict[str, Any]) -> str:
    text = f"{'*' if route['active'] else ' '} {route['address']:<24} {route['state'].upper():<6}"
    if route["rtt_ms"] is not None:
        text += f" rtt {route['rtt_ms']:.1f} ms"
    test = route["last_test"]
    if test is not None:
        text += f"  last test {test['at']} {'ok' if test['ok'] else 'MISSED'}"
    if route["state"] == "down" and route["last_error"]:
        text += f"  ({route['last_error']})"
    return text
