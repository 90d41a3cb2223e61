"""The terminal's control API: a FastAPI app factory, served on ``DIR/control.sock``.

The CLI drives a running terminal only through this API (``hotline.terminal.client``);
the web console is its own app (``hotline.console.create_console_app``) and shares
only the contract below with this one. The socket
is a Unix socket created with mode 0600 inside the terminal directory, so only
the terminal's owner can reach it: no password is needed on it.

Resources and errors follow the contract both HTTP APIs share
(:mod:`hotline.terminal.api`): a message, a peer's line and an alarm have one
shape (:mod:`hotline.terminal.api.models`), and an error comes back as
``{"error": "<HotlineError subclass name>", "detail": "..."}`` with the status
:data:`~hotline.terminal.api.errors.ERROR_STATUS` gives it, so the client can
raise the same error class locally.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import socket
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from hotline import __version__
from hotline.crypto import Precedence, parse_route
from hotline.errors import (
    ConfigError,
    HotlineError,
    InvalidArgument,
    NotificationInvalid,
    UnknownMessage,
)
from hotline.formats import problem_json
from hotline.store import Direction, MessageRecord
from hotline.terminal.api.conferences import conferences_router
from hotline.terminal.api.errors import (
    VALIDATION_ERROR,
    error_body,
    error_status,
    validation_detail,
)
from hotline.terminal.api.keys import keys_router
from hotline.terminal.api.models import Acknowledgement, Alarm, Group, Message, Peer
from hotline.terminal.api.statements import statements_router
from hotline.terminal.config.trust import confirmation_json
from hotline.terminal.core.groups import GroupQueued
from hotline.terminal.core.markings import markings_from_json
from hotline.terminal.core.outbox import DEFAULT_CHANNEL
from hotline.terminal.daemon import OutgoingText, Terminal
from hotline.terminal.desks.accounts.users import authenticate, create_user, user_json
from hotline.terminal.desks.acks.desk import AckDesk
from hotline.terminal.desks.calls.desk import CallDesk
from hotline.terminal.desks.calls.presence import PresenceDesk, presence_json
from hotline.terminal.desks.channels import ChannelDesk, channel_json
from hotline.terminal.desks.deadlines.watch import DeadlineWatch
from hotline.terminal.desks.notifications.desk import NotificationDesk
from hotline.terminal.desks.notifications.reports import (
    count_notifications,
    counts_csv,
    notifications_csv,
)
from hotline.terminal.desks.releases.desk import ReleaseDesk, release_json

__all__ = [
    "create_control_app",
    "listen_tcp",
    "messages_json",
    "serve_control_api",
    "serve_uvicorn",
]

log = logging.getLogger("hotline.control")


# -- schemas ------------------------------------------------------------------


class MessageCreate(BaseModel):
    to: str = Field(min_length=1)
    text: str
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL
    #: The body's markings map (docs/protocol/markings.md): eyes_only, embargoed_until,
    #: not_for_release, classification.
    markings: dict[str, Any] | None = None


class ReleaseCreate(BaseModel):
    public_text: str | None = None
    at: str | None = None


class GroupCreate(BaseModel):
    to: list[str] = Field(min_length=1)
    text: str
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL
    markings: dict[str, Any] | None = None


class MessageBatch(BaseModel):
    messages: list[MessageCreate] = Field(min_length=1, max_length=10_000)


class PeerCreate(BaseModel):
    card: str = Field(min_length=1)
    #: Trust again a peer removed with ``hotline peer remove`` (config/trust.py).
    readd: bool = False


class PeerConfirm(BaseModel):
    fingerprint: str = Field(min_length=1)
    method: str = Field(min_length=1)
    by: str = Field(min_length=1)


class NotificationCreate(BaseModel):
    #: One party, or several: one payload to each (the answer is then a Group).
    to: str | list[str] = Field(min_length=1)
    format: str = Field(min_length=1)
    data: dict[str, Any]
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL
    override: bool = False
    exercise: bool = False
    markings: dict[str, Any] | None = None


class Credentials(BaseModel):
    user: str = Field(min_length=1)
    password: str = Field(min_length=1)


class ChannelMemberIn(BaseModel):
    name: str = Field(min_length=1)
    role: str = "member"


class ChannelCreate(BaseModel):
    name: str
    members: list[ChannelMemberIn]


#: Who the journal names for a change made through the control socket (root on the machine).
CONTROL_ACTOR = "root"


class UserCreate(BaseModel):
    name: str = Field(min_length=1)
    role: str
    password: str
    language: str = "en"


def messages_json(terminal: Terminal, records: list[MessageRecord]) -> list[Message]:
    """The records as :class:`~hotline.terminal.api.models.Message`, with acknowledgements
    (one query) and, for outgoing ones, every recipient's copy."""
    acks = terminal.store.acknowledgements([r.id for r in records])
    recipients = terminal.recipient_states(records)
    watch = terminal.desk(DeadlineWatch)
    releases = terminal.store.releases([r.id for r in records])
    return [
        Message.of(
            r,
            ack=acks.get(r.id),
            release=releases.get(r.id),
            deadline=watch.deadline_of(r),
            overdue=watch.is_overdue(r.id),
            recipients=states,
            our_party=terminal.party,
        )
        for r, states in zip(records, recipients, strict=True)
    ]


def group_json(terminal: Terminal, group: GroupQueued) -> Group:
    """What sending one payload to several parties answers: the group and each copy."""
    return Group(
        group=group.group_id,
        payload_hash=group.payload_hash.hex(),
        conference=group.conference,
        messages=messages_json(terminal, list(group.records)),
    )


# -- dependencies -------------------------------------------------------------


async def _terminal(request: Request) -> Terminal:
    terminal: Terminal = request.app.state.terminal
    return terminal


TerminalDep = Annotated[Terminal, Depends(_terminal)]

# -- routers ------------------------------------------------------------------

status_router = APIRouter(tags=["status"])
messages_router = APIRouter(prefix="/messages", tags=["messages"])
peers_router = APIRouter(prefix="/peers", tags=["peers"])
users_router = APIRouter(prefix="/users", tags=["users"])
channels_router = APIRouter(prefix="/channels", tags=["channels"])


@messages_router.post("/notifications", status_code=201)
async def post_notification(body: NotificationCreate, terminal: TerminalDep) -> Message | Group:
    """Validate and send a formatted notification; 422 lists every bad field.

    ``to`` a list: one payload to every party named, answered with the Group.
    """
    if isinstance(body.to, list):
        group = terminal.desk(NotificationDesk).send_group(
            to=body.to,
            markings=markings_from_json(body.markings),
            format_code=body.format,
            data=body.data,
            precedence=body.precedence,
            channel=body.channel,
            override=body.override,
            exercise=body.exercise,
        )
        return group_json(terminal, group)
    record = terminal.desk(NotificationDesk).send(
        to=body.to,
        format_code=body.format,
        data=body.data,
        precedence=body.precedence,
        channel=body.channel,
        override=body.override,
        exercise=body.exercise,
        markings=markings_from_json(body.markings),
    )
    return messages_json(terminal, [record])[0]


@status_router.get("/meetings")
async def get_meetings(terminal: TerminalDep) -> list[dict[str, Any]]:
    """Every meeting proposal and the state its replies have reached (same on both sides)."""
    return [
        {
            "proposal": m.proposal_id,
            "peer": m.peer,
            "state": m.state,
            "data": json.loads(m.data),
            "updated_at": m.updated_at,
            "last_reply": m.last_reply,
        }
        for m in terminal.store.list_meetings()
    ]


@status_router.get("/calls")
async def get_calls(
    terminal: TerminalDep, limit: Annotated[int, Query(ge=1, le=10_000)] = 200
) -> list[dict[str, Any]]:
    """Call records, newest first (docs/protocol/calls.md)."""
    return [
        terminal.desk(CallDesk).view(record) for record in terminal.desk(CallDesk).recent(limit)
    ]


@status_router.get("/presence")
async def get_presence(terminal: TerminalDep) -> list[dict[str, Any]]:
    """Requests that a principal come to the machine, newest first."""
    return [presence_json(record) for record in terminal.desk(PresenceDesk).recent()]


@status_router.get("/reports/notifications")
async def get_report(
    terminal: TerminalDep,
    period: str = "month",
    since: str | None = None,
    until: str | None = None,
    exercise: bool = False,
    csv: bool = False,
) -> Any:
    """Counts of notifications by period, peer, direction and format (CSV with ``csv=true``)."""
    try:
        rows = count_notifications(
            terminal.store, period=period, since=since, until=until, exercise=exercise
        )
    except InvalidArgument:
        raise  # a period that is not one of the periods: said as it is
    except ValueError as exc:  # a since/until that is not a UTC time
        raise InvalidArgument(
            f"since/until must be UTC times like 2026-11-01T00:00:00Z: {exc}"
        ) from exc
    if csv:
        return PlainTextResponse(counts_csv(rows), media_type="text/csv")
    return [dataclasses.asdict(row) for row in rows]


@status_router.get("/reports/notifications.csv")
async def get_notifications_csv(
    terminal: TerminalDep,
    since: str | None = None,
    until: str | None = None,
    exercise: bool = False,
) -> PlainTextResponse:
    """Every notification, one CSV row each."""
    try:
        text = notifications_csv(terminal.store, since=since, until=until, exercise=exercise)
    except ValueError as exc:
        raise InvalidArgument(
            f"since/until must be UTC times like 2026-11-01T00:00:00Z: {exc}"
        ) from exc
    return PlainTextResponse(text, media_type="text/csv")


class Status(BaseModel):
    """``GET /status``: who this terminal is, the line to every peer, the open alarms."""

    party: str
    fingerprint: str
    listen: list[str]
    peers: list[Peer]
    alarms: list[Alarm]
    cpu_wake: str
    #: "active", or "standby" / "stepped down" for a process of an active/standby pair.
    role: str = "active"
    #: The fencing epoch the active process writes under (None on SQLite).
    epoch: int | None = None
    #: "sealed" or "unprotected": whether the private keys are encrypted at rest.
    keys: str
    #: Where the signing key lives: "software key", or "token LABEL" (a PKCS#11 token).
    signing_key: str = "software key"


@status_router.get("/status")
async def get_status(terminal: TerminalDep) -> Status:
    """The line to every peer, route by route, and the open alarms (docs: README, status)."""
    status = terminal.status()
    counts = terminal.outgoing_counts()
    return Status(
        party=status.party,
        fingerprint=status.fingerprint,
        listen=list(status.listen),
        peers=[Peer.of(peer, messages=counts.get(peer.party)) for peer in status.peers],
        alarms=[Alarm.of(alarm) for alarm in status.alarms],
        cpu_wake=status.cpu_wake,
        role=terminal.role,
        epoch=terminal.epoch,
        keys=status.keys,
        signing_key=status.signing_key,
    )


@status_router.get("/alarms")
async def get_alarms(terminal: TerminalDep) -> list[Alarm]:
    """The open alarms, oldest first."""
    return [Alarm.of(alarm) for alarm in terminal.alarms.open_alarms()]


@status_router.post("/tests")
async def post_tests(
    terminal: TerminalDep, peer: Annotated[str | None, Query()] = None
) -> list[dict[str, Any]]:
    """Test every route of one peer (or all peers) now; answers when every test has ended."""
    return [result.to_json() for result in await terminal.run_link_tests(peer)]


@status_router.get("/card")
async def get_card(terminal: TerminalDep) -> dict[str, str]:
    return {"card": terminal.card_json()}


@messages_router.post("", status_code=201)
async def post_message(body: MessageCreate, terminal: TerminalDep) -> Message:
    record = terminal.send_text(
        to=body.to,
        text=body.text,
        precedence=body.precedence,
        channel=body.channel,
        markings=markings_from_json(body.markings),
    )
    return messages_json(terminal, [record])[0]


@messages_router.post("/group", status_code=201)
async def post_group(body: GroupCreate, terminal: TerminalDep) -> Group:
    """One payload to several parties, each copy over its own line: all durable, or none."""
    group = terminal.send_group(
        to=body.to,
        text=body.text,
        precedence=body.precedence,
        channel=body.channel,
        markings=markings_from_json(body.markings),
    )
    return group_json(terminal, group)


@messages_router.post("/{message_id}/release", status_code=201)
async def post_release(
    message_id: str, body: ReleaseCreate, terminal: TerminalDep
) -> dict[str, Any]:
    """Release a marked message: sign and send the release record (docs/protocol/markings.md §3)."""
    releases = terminal.desk(ReleaseDesk).release(
        message_id, public_text=body.public_text, at=body.at
    )
    # The named copy's release, and under "copies" every copy released (a group's all).
    return {**release_json(releases[0]), "copies": [release_json(r) for r in releases]}


@messages_router.post("/batch", status_code=201)
async def post_messages(body: MessageBatch, terminal: TerminalDep) -> list[Message]:
    """Queue several messages in one transaction: all are durable, or none is."""
    records = terminal.send_many(
        [
            OutgoingText(to=m.to, text=m.text, precedence=m.precedence, channel=m.channel)
            for m in body.messages
        ]
    )
    return messages_json(terminal, records)


@messages_router.get("")
async def list_messages(
    terminal: TerminalDep,
    peer: str | None = None,
    direction: Direction | None = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> list[Message]:
    records = terminal.store.list_messages(peer=peer, direction=direction, limit=limit)
    return messages_json(terminal, records)


@messages_router.get("/{message_id}")
async def get_message(message_id: str, terminal: TerminalDep) -> Message:
    record = terminal.store.get_message(message_id)
    if record is None:
        raise UnknownMessage(f"no message with id {message_id}")
    return messages_json(terminal, [record])[0]


@messages_router.get("/{message_id}/delivered")
async def wait_delivered(
    message_id: str,
    terminal: TerminalDep,
    within: Annotated[float, Query(ge=0, le=3600)] = 30.0,
) -> Message:
    """Long-poll: answer once the message is delivered or ``within`` seconds have passed."""
    return messages_json(terminal, [await terminal.wait_delivered(message_id, within=within)])[0]


@messages_router.post("/{message_id}/ack", status_code=201)
async def post_ack(message_id: str, body: Credentials, terminal: TerminalDep) -> Acknowledgement:
    """Acknowledge an incoming message as a console user (their password unlocks their key)."""
    operator = authenticate(terminal.store, body.user, body.password)
    return Acknowledgement.of(terminal.desk(AckDesk).acknowledge(message_id, operator))


@users_router.get("")
async def list_users(terminal: TerminalDep) -> list[dict[str, Any]]:
    return [user_json(u) for u in terminal.store.list_users()]


@channels_router.get("")
async def list_channels(terminal: TerminalDep) -> list[dict[str, Any]]:
    """Every channel configured here or announced by a peer (the CLI is not restricted)."""
    return [channel_json(view) for view in terminal.desk(ChannelDesk).list_channels()]


@channels_router.get("/{name}")
async def get_channel(name: str, terminal: TerminalDep) -> dict[str, Any]:
    return channel_json(terminal.desk(ChannelDesk).show(name))


@channels_router.post("", status_code=201)
async def post_channel(body: ChannelCreate, terminal: TerminalDep) -> dict[str, Any]:
    members = [(member.name, member.role) for member in body.members]
    view = terminal.desk(ChannelDesk).create_channel(body.name, members, CONTROL_ACTOR)
    return channel_json(view)


@channels_router.post("/{name}/members", status_code=201)
async def post_channel_member(
    name: str, body: ChannelMemberIn, terminal: TerminalDep
) -> dict[str, Any]:
    view = terminal.desk(ChannelDesk).add_member(name, body.name, CONTROL_ACTOR, role=body.role)
    return channel_json(view)


@channels_router.delete("/{name}/members/{user}")
async def delete_channel_member(name: str, user: str, terminal: TerminalDep) -> dict[str, Any]:
    return channel_json(terminal.desk(ChannelDesk).remove_member(name, user, CONTROL_ACTOR))


@users_router.post("", status_code=201)
async def post_user(body: UserCreate, terminal: TerminalDep) -> dict[str, Any]:
    user = create_user(
        terminal.store,
        terminal.clock,
        name=body.name,
        role=body.role,
        password=body.password,
        language=body.language,
    )
    return user_json(user)


@status_router.get("/statistics")
async def get_statistics(terminal: TerminalDep, samples: bool = False) -> dict[str, Any]:
    """Delivery counts and latency (durable send → durable verified receipt), in ms."""
    stats = terminal.tracker.statistics()
    result: dict[str, Any] = {
        "queued": stats.queued,
        "delivered": stats.delivered,
        "delivery_latency_ms": {
            "samples": stats.samples,
            "p50": stats.p50_ms,
            "p90": stats.p90_ms,
            "p99": stats.p99_ms,
            "max": stats.max_ms,
        },
    }
    if samples:
        result["latencies_ms"] = list(stats.latencies_ms)
    return result


@status_router.post("/statistics/reset", status_code=204)
async def reset_statistics(terminal: TerminalDep) -> None:
    terminal.tracker.reset()


@peers_router.get("")
async def list_peers(terminal: TerminalDep) -> list[dict[str, Any]]:
    return [
        {
            "party": p.party,
            "fingerprint": p.fingerprint,
            "routes": list(p.routes),
            "timezone": p.timezone,
        }
        for p in terminal.store.list_peers()
    ]


@peers_router.post("", status_code=201)
async def post_peer(body: PeerCreate, terminal: TerminalDep) -> dict[str, Any]:
    added = terminal.add_peer(body.card, readd=body.readd)
    return {"party": added.peer.party, "fingerprint": added.peer.fingerprint, "new": added.new}


@peers_router.post("/{party}/remove")
async def post_peer_removal(party: str, terminal: TerminalDep) -> dict[str, Any]:
    removal = terminal.remove_peer(party)
    return {
        "party": removal.party,
        "fingerprint": removal.fingerprint,
        "removed_at": removal.removed_at,
    }


@peers_router.post("/{party}/confirm", status_code=201)
async def post_peer_confirmation(
    party: str, body: PeerConfirm, terminal: TerminalDep
) -> dict[str, Any]:
    confirmation = terminal.confirm_peer(
        party, fingerprint=body.fingerprint, method=body.method, confirmed_by=body.by
    )
    return {"party": confirmation.party, **confirmation_json(confirmation)}


def create_control_app(terminal: Terminal) -> FastAPI:
    """Build the control API for one running terminal.

    Every route is ``async def`` on purpose: it then runs on the daemon's event
    loop thread, the only thread that touches the store.
    """
    app = FastAPI(title=f"hotline terminal {terminal.party}", version=__version__)
    app.state.terminal = terminal

    @app.exception_handler(HotlineError)
    async def _hotline_error(request: Request, exc: HotlineError) -> JSONResponse:
        # Field-level problems of a notification, for scripts to show field by field.
        problems = (
            [problem_json(p) for p in exc.problems]
            if isinstance(exc, NotificationInvalid)
            else None
        )
        return JSONResponse(
            status_code=error_status(exc), content=error_body(exc, problems=problems)
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = validation_detail(exc.errors())
        return JSONResponse(status_code=422, content={"error": VALIDATION_ERROR, "detail": detail})

    app.include_router(status_router)
    app.include_router(messages_router)
    app.include_router(peers_router)
    app.include_router(users_router)
    app.include_router(channels_router)
    app.include_router(conferences_router)
    app.include_router(statements_router)
    app.include_router(keys_router)
    return app


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the daemon owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve_uvicorn(
    config: uvicorn.Config,
    started: asyncio.Event,
    *,
    what: str,
    sockets: list[socket.socket] | None = None,
    on_started: Callable[[], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> None:
    """Run one uvicorn server on the daemon's loop until cancelled (control API, console).

    Sets ``started`` once it listens (ConfigError naming ``what`` if it stops
    first). Cancelling this must not cancel uvicorn mid-flight, which would leave
    its connections open: it is told to exit and given 5 s to close cleanly.
    """
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve(sockets=sockets))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise ConfigError(f"{what} could not start")
            await asyncio.sleep(0.01)
        if on_started is not None:
            on_started()
        started.set()
        await asyncio.shield(task)
    finally:
        if on_stop is not None:
            on_stop()
        server.should_exit = True
        try:
            await asyncio.wait({task}, timeout=5.0)
        finally:
            # Past the 5 s, or if we are cancelled meanwhile, the server is cancelled;
            # its end is collected (a failure while stopping is logged, not raised),
            # and a cancellation of *this* task still propagates after the finally.
            if not task.done():
                task.cancel()
            for result in await asyncio.gather(task, return_exceptions=True):
                if isinstance(result, Exception):
                    log.warning("%s stopped with an error: %s", what, result)


def listen_tcp(address: str, *, what: str) -> socket.socket:
    """A listening TCP socket on ``HOST:PORT`` for ``what``; ConfigError if it cannot be had.

    Bound here rather than by uvicorn, which answers a failed bind with
    ``sys.exit``: inside the daemon's event loop that would end the whole
    terminal instead of reporting one bad setting. (The console, the metrics.)
    """
    host, port = parse_route(address)
    try:
        family, kind, proto, _, where = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"{what} cannot listen on {address}: {exc}") from exc
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(where)
        listener.listen(128)
    except OSError as exc:
        listener.close()
        raise ConfigError(
            f"{what} could not listen on {address} (is the port in use?): {exc}"
        ) from exc
    listener.setblocking(False)
    return listener


async def serve_control_api(terminal: Terminal, started: asyncio.Event) -> None:
    """Serve the control API on ``DIR/control.sock`` until cancelled."""
    path = terminal.files.paths.control_socket
    with contextlib.suppress(FileNotFoundError):
        path.unlink()  # left by a daemon that was killed: we hold the directory lock
    config = uvicorn.Config(
        create_control_app(terminal),
        uds=str(path),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,  # a long-poll must not hold up SIGTERM
    )
    try:
        await serve_uvicorn(
            config,
            started,
            what=f"the control API on {path}",
            # The directory is 0700 already; the socket is made owner-only as well.
            on_started=lambda: os.chmod(path, 0o600),
        )
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
