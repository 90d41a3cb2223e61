"""``hotline channel create|add|remove|list|show DIR …``: channels with their own people.

A channel configured with members is restricted in the web console: only its
members read, send and acknowledge on it (docs/console.md). This command is
root on the machine, through the control socket: it is not restricted, and
the journal names its changes as made by ``root``. Changes need the running
terminal (each is announced to every peer at once); ``list`` and ``show`` also
read a stopped terminal's directory.
"""

from __future__ import annotations

import argparse
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.errors import DaemonNotRunning
from hotline.terminal import ControlClient, Terminal, open_terminal
from hotline.terminal.desks.channels import ChannelDesk, ChannelView, channel_json, parse_member

__all__ = ["register", "run_add", "run_create", "run_list", "run_remove", "run_show"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("channel", help="manage who on this terminal reads each channel")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for action, run, summary in (
        ("create", run_create, "configure a channel with its members (restricts it)"),
        ("add", run_add, "add a member to a channel, or change a member's role"),
        ("remove", run_remove, "remove a member from a channel (the history stays)"),
    ):
        sub = actions.add_parser(action, help=summary)
        add_directory(sub)
        sub.add_argument("name", metavar="NAME", help="the channel, e.g. defence-ministers")
        sub.add_argument(
            "--member",
            action="append",
            required=True,
            metavar="USER[:ROLE]" if action != "remove" else "USER",
            help="a console user (role member or principal; member if not given); repeatable",
        )
        sub.set_defaults(handler=run)
    listing = actions.add_parser("list", help="every channel, ours and the peers'")
    add_directory(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)
    show = actions.add_parser("show", help="one channel: our members, each peer's announced ones")
    add_directory(show)
    show.add_argument("name", metavar="NAME")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)


def run_create(args: argparse.Namespace) -> int:
    members = [parse_member(text) for text in args.member]
    with ControlClient(args.directory) as client:
        channel = client.create_channel(args.name, members)
    print(f"channel {channel['name']} version {channel['version']}: {_members(channel)}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    members = [parse_member(text) for text in args.member]
    with ControlClient(args.directory) as client:
        for user, role in members:
            channel = client.add_channel_member(args.name, user, role)
    print(f"channel {channel['name']} version {channel['version']}: {_members(channel)}")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        for user in args.member:
            channel = client.remove_channel_member(args.name, user)
    print(f"channel {channel['name']} version {channel['version']}: {_members(channel)}")
    return 0


def _read(args: argparse.Namespace, name: str | None) -> list[dict[str, Any]]:
    """The channels from the running terminal, or from its directory while it is stopped."""
    client = ControlClient(args.directory)
    try:
        return client.channels() if name is None else [client.channel(name)]
    except DaemonNotRunning:
        pass
    finally:
        client.close()
    # Read-only, with no daemon: the same desk, built on the directory's store.
    terminal = Terminal(open_terminal(args.directory))
    try:
        desk = terminal.desk(ChannelDesk)
        views: list[ChannelView] = desk.list_channels() if name is None else [desk.show(name)]
        return [channel_json(view) for view in views]
    finally:
        terminal.store.close()


def _members(channel: dict[str, Any]) -> str:
    listed = [f"{m['name']} ({m['role']})" for m in channel["members"]]
    return ", ".join(listed) or "none configured here (open to every console user)"


def run_list(args: argparse.Namespace) -> int:
    channels = _read(args, None)
    if args.json:
        print_json(channels)
        return 0
    if not channels:
        print("no channel configured: every channel is open to every console user")
    for channel in channels:
        state = f"restricted v{channel['version']}" if channel["restricted"] else "open here"
        print(f"{channel['name']:<20} {state:<16} {_members(channel)}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    [channel] = _read(args, args.name)
    if args.json:
        print_json(channel)
        return 0
    state = f"restricted, version {channel['version']}" if channel["restricted"] else "open here"
    print(f"channel {channel['name']} ({state})")
    print(f"  our members: {_members(channel)}")
    for member in channel["history"]:
        if member["removed_at"] is not None:
            print(
                f"  was a member: {member['name']} ({member['role']}) "
                f"{member['added_at']} to {member['removed_at']}, removed by {member['removed_by']}"
            )
    for peer in channel["peers"]:
        listed = ", ".join(f"{m['name']} ({m['role']})" for m in peer["members"]) or "nobody"
        print(f"  {peer['peer']} announced (version {peer['version']}): {listed}")
    return 0
