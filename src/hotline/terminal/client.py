"""Clients for a running terminal: its control API (``DIR/control.sock``) and its send lane.

:class:`ControlClient` is how the CLI (and tests, and scripts) talk to ``hotline run``.
:class:`SendLane` is the fast sender path for local programs (``DIR/send.sock``,
docs/lane.md): one persistent connection, newline-delimited JSON, no HTTP. Errors
the daemon reports come back as the same :class:`~hotline.errors.HotlineError`
subclass it raised, with its message: the body names the class
(:mod:`hotline.terminal.api.errors`), so the client needs no table of statuses.
A request the API refused before any route ran is ``InvalidArgument`` too. A
directory with no daemon answering gives :class:`~hotline.errors.DaemonNotRunning`.
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

from hotline import errors
from hotline.crypto import b64url_encode
from hotline.errors import DaemonError, DaemonNotRunning, HotlineError, NotInitialised
from hotline.formats import Problem
from hotline.terminal.config.paths import TerminalPaths
from hotline.terminal.lane import send_socket_path

__all__ = ["ControlClient", "SendLane", "lane_answer"]

#: Requests :meth:`SendLane.send_many` writes before it reads answers: the
#: answers in flight then fit the socket buffers, so neither side blocks writing.
LANE_WINDOW = 256

_ERRORS: dict[str, type[HotlineError]] = {
    name: cls
    for name in errors.__all__
    if isinstance(cls := getattr(errors, name), type) and issubclass(cls, HotlineError)
}


class ControlClient:
    """Synchronous client for one terminal directory's control API."""

    def __init__(self, directory: Path, *, timeout: float = 30.0) -> None:
        self.paths = TerminalPaths(directory)
        if not self.paths.is_initialised():
            raise NotInitialised(
                f"{directory} is not a hotline terminal (create one with: hotline init)"
            )
        self._timeout = timeout

    def close(self) -> None:
        """Nothing to release: each request uses its own connection."""

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
        raw: bool = False,
    ) -> Any:
        # One connection per request: a request is never silently re-sent on a
        # reused connection, so a POST is made at most once per call.
        if params:
            path = f"{path}?{urlencode(params)}"
        body = None if json_body is None else json.dumps(json_body).encode("utf-8")
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection = _UnixHTTPConnection(str(self.paths.control_socket), timeout or self._timeout)
        try:
            try:
                connection.connect()
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                raise DaemonNotRunning(
                    f"no terminal is running in {self.paths.root} (start it with: hotline run {self.paths.root})"
                ) from exc
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                content = response.read()
            except (OSError, http.client.HTTPException) as exc:
                raise DaemonError(
                    f"the terminal in {self.paths.root} did not answer: {exc}"
                ) from exc
        except OSError as exc:
            raise DaemonError(f"cannot reach the terminal in {self.paths.root}: {exc}") from exc
        finally:
            connection.close()
        if raw and 200 <= response.status < 300:
            return content.decode("utf-8")
        try:
            payload = json.loads(content) if content else None
        except ValueError:
            payload = None
        if 200 <= response.status < 300:
            return payload
        if isinstance(payload, dict) and "error" in payload:
            cls = _ERRORS.get(str(payload["error"]), DaemonError)
            if "problems" in payload and cls is errors.NotificationInvalid:
                raise errors.NotificationInvalid(
                    Problem(str(p["path"]), str(p["code"]), p["params"])
                    for p in payload["problems"]
                )
            raise cls(str(payload.get("detail", "")))
        raise DaemonError(f"the terminal answered {response.status}: {content[:200]!r}")

    # -- operations -----------------------------------------------------------

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", "/status")
        return result

    def alarms(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/alarms")
        return result

    def run_tests(
        self, *, peer: str | None = None, timeout: float = 3600.0
    ) -> list[dict[str, Any]]:
        """Test every route now (of one peer, or all); returns when each test passed or missed."""
        result: list[dict[str, Any]] = self._request(
            "POST", "/tests", params={"peer": peer} if peer else None, timeout=timeout
        )
        return result

    def card(self) -> str:
        return str(self._request("GET", "/card")["card"])

    def send(
        self,
        *,
        to: str,
        text: str,
        precedence: str = "routine",
        channel: str = "leaders",
        markings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Queue a message; ``markings`` is the body's markings map (docs/protocol/markings.md)."""
        body: dict[str, Any] = {
            "to": to,
            "text": text,
            "precedence": precedence,
            "channel": channel,
        }
        if markings:
            body["markings"] = markings
        result: dict[str, Any] = self._request("POST", "/messages", json_body=body)
        return result

    def release(
        self, message_id: str, *, public_text: str | None = None, at: str | None = None
    ) -> dict[str, Any]:
        """Release a marked message (docs/protocol/markings.md §3); returns the release.

        Every copy released (all of a group message's) is listed under ``"copies"``.
        """
        result: dict[str, Any] = self._request(
            "POST",
            f"/messages/{message_id}/release",
            json_body={"public_text": public_text, "at": at},
        )
        return result

    def send_group(
        self,
        *,
        to: list[str],
        text: str,
        precedence: str = "routine",
        channel: str = "leaders",
        markings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One payload to several parties; ``{"group", "payload_hash", "conference", "messages"}``."""
        body: dict[str, Any] = {
            "to": to,
            "text": text,
            "precedence": precedence,
            "channel": channel,
        }
        if markings:
            body["markings"] = markings
        result: dict[str, Any] = self._request("POST", "/messages/group", json_body=body)
        return result

    def send_many(self, messages: list[dict[str, str]]) -> list[dict[str, Any]]:
        """Queue several messages (dicts with to, text, and optionally precedence, channel) in one commit."""
        result: list[dict[str, Any]] = self._request(
            "POST", "/messages/batch", json_body={"messages": messages}
        )
        return result

    def wait_delivered(self, message_id: str, *, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until the message is delivered or ``timeout`` passes; returns the message either way."""
        result: dict[str, Any] = self._request(
            "GET",
            f"/messages/{message_id}/delivered",
            params={"within": timeout},
            timeout=timeout + 10,
        )
        return result

    def statistics(self, *, samples: bool = False) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "GET", "/statistics", params={"samples": "true"} if samples else None
        )
        return result

    def reset_statistics(self) -> None:
        self._request("POST", "/statistics/reset")

    def messages(
        self, *, peer: str | None = None, direction: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        params = {
            k: v
            for k, v in (("peer", peer), ("direction", direction), ("limit", limit))
            if v is not None
        }
        result: list[dict[str, Any]] = self._request("GET", "/messages", params=params)
        return result

    def message(self, message_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/messages/{message_id}")
        return result

    def add_peer(self, card_text: str, *, readd: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"card": card_text}
        if readd:
            body["readd"] = True
        result: dict[str, Any] = self._request("POST", "/peers", json_body=body)
        return result

    def remove_peer(self, party: str) -> dict[str, Any]:
        """Mark ``party`` removed; its line is dropped and refused from then on."""
        result: dict[str, Any] = self._request("POST", f"/peers/{quote(party, safe='')}/remove")
        return result

    def rotate_keys(self, which: str) -> dict[str, Any]:
        """Rotate the ``which`` operational key; announced to every peer as a key event."""
        result: dict[str, Any] = self._request("POST", "/keys/rotate", json_body={"which": which})
        return result

    def revoke_key(
        self, key: str, *, reason: str, compromised_since: str | None = None
    ) -> dict[str, Any]:
        """Revoke the operational key ``key``; announced to every peer as a key event."""
        result: dict[str, Any] = self._request(
            "POST",
            "/keys/revoke",
            json_body={"key": key, "reason": reason, "compromised_since": compromised_since},
        )
        return result

    def change_master(
        self, passphrase: bytes | None, *, to_software: bool = False
    ) -> dict[str, Any]:
        """Change the master key; announced to every peer as a key event (op ``master``).

        ``to_software``: the master is in a token, and the new one is a key file.
        """
        body: dict[str, Any] = {
            "passphrase": None if passphrase is None else b64url_encode(passphrase)
        }
        if to_software:
            body["to_software"] = True
        result: dict[str, Any] = self._request("POST", "/keys/master", json_body=body)
        return result

    def confirm_peer(
        self, party: str, *, fingerprint: str, method: str, confirmed_by: str
    ) -> dict[str, Any]:
        """Record an out-of-band fingerprint check of ``party``."""
        result: dict[str, Any] = self._request(
            "POST",
            f"/peers/{quote(party, safe='')}/confirm",
            json_body={"fingerprint": fingerprint, "method": method, "by": confirmed_by},
        )
        return result

    def add_user(
        self, *, name: str, role: str, password: str, language: str = "en"
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "POST",
            "/users",
            json_body={"name": name, "role": role, "password": password, "language": language},
        )
        return result

    def channels(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/channels")
        return result

    def channel(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/channels/{quote(name, safe='')}")
        return result

    def create_channel(self, name: str, members: list[tuple[str, str]]) -> dict[str, Any]:
        body = {"name": name, "members": [{"name": n, "role": r} for n, r in members]}
        result: dict[str, Any] = self._request("POST", "/channels", json_body=body)
        return result

    def add_channel_member(self, name: str, user: str, role: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "POST",
            f"/channels/{quote(name, safe='')}/members",
            json_body={"name": user, "role": role},
        )
        return result

    def remove_channel_member(self, name: str, user: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "DELETE", f"/channels/{quote(name, safe='')}/members/{quote(user, safe='')}"
        )
        return result

    def users(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/users")
        return result

    def acknowledge(self, message_id: str, *, user: str, password: str) -> dict[str, Any]:
        """Acknowledge an incoming message as a console user (AuthenticationFailed if wrong)."""
        result: dict[str, Any] = self._request(
            "POST",
            f"/messages/{quote(message_id, safe='')}/ack",
            json_body={"user": user, "password": password},
        )
        return result

    def notify(
        self,
        *,
        to: str | list[str],
        format_code: str,
        data: dict[str, Any],
        precedence: str = "routine",
        channel: str = "leaders",
        override: bool = False,
        exercise: bool = False,
        markings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send a formatted notification; NotificationInvalid (with ``problems``) if bad.

        ``to`` a list: one payload to each party, answered with the group.
        """
        result: dict[str, Any] = self._request(
            "POST",
            "/messages/notifications",
            json_body={
                "to": to,
                "format": format_code,
                "data": data,
                "precedence": precedence,
                "channel": channel,
                "override": override,
                "exercise": exercise,
                **({"markings": markings} if markings else {}),
            },
        )
        return result

    def meetings(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/meetings")
        return result

    def calls(self, limit: int = 200) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/calls", params={"limit": limit})
        return result

    def presence(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/presence")
        return result

    def report(self, **params: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request(
            "GET", "/reports/notifications", params={k: v for k, v in params.items() if v}
        )
        return result

    def report_text(self, path: str, **params: Any) -> str:
        """A CSV report as text (``/reports/notifications?csv=true`` or ``.csv``)."""
        return str(
            self._request("GET", path, params={k: v for k, v in params.items() if v}, raw=True)
        )

    def peers(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("GET", "/peers")
        return result

    # -- conferences (docs/protocol/conferences.md) --------------------------------

    def conferences(self) -> list[dict[str, Any]]:
        """Every conference convened here or naming us."""
        result: list[dict[str, Any]] = self._request("GET", "/conferences")
        return result

    def conference(self, ref: str, *, limit: int = 20) -> dict[str, Any]:
        """One conference (by name or id) with its recent messages as a grid."""
        result: dict[str, Any] = self._request(
            "GET", f"/conferences/{quote(ref, safe='')}", params={"limit": limit}
        )
        return result

    def create_conference(self, name: str, parties: list[str]) -> dict[str, Any]:
        """Convene a conference of us and ``parties``."""
        result: dict[str, Any] = self._request(
            "POST", "/conferences", json_body={"name": name, "parties": parties}
        )
        return result

    def add_conference_party(self, ref: str, party: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "POST", f"/conferences/{quote(ref, safe='')}/parties", json_body={"party": party}
        )
        return result

    def remove_conference_party(self, ref: str, party: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "DELETE", f"/conferences/{quote(ref, safe='')}/parties/{quote(party, safe='')}"
        )
        return result

    def statements(self) -> list[dict[str, Any]]:
        """Every joint statement drafted here or received."""
        result: list[dict[str, Any]] = self._request("GET", "/statements")
        return result

    def statement(self, ref: str) -> dict[str, Any]:
        """One statement by its id (or any draft's id)."""
        result: dict[str, Any] = self._request("GET", f"/statements/{quote(ref, safe='')}")
        return result

    def draft_statement(self, **fields: Any) -> dict[str, Any]:
        """Draft a statement: conference, title, texts, and optionally authoritative,
        policy, effective, expires, releases (a marked message's id)."""
        result: dict[str, Any] = self._request("POST", "/statements", json_body=fields)
        return result

    def revise_statement(self, ref: str, texts: dict[str, str]) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "POST", f"/statements/{quote(ref, safe='')}/revisions", json_body={"texts": texts}
        )
        return result

    def sign_statement(self, ref: str, *, user: str, password: str) -> dict[str, Any]:
        """Sign the current draft as a console user (AuthenticationFailed if wrong)."""
        result: dict[str, Any] = self._request(
            "POST",
            f"/statements/{quote(ref, safe='')}/signatures",
            json_body={"user": user, "password": password},
        )
        return result

    def withdraw_statement(self, ref: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request(
            "POST", f"/statements/{quote(ref, safe='')}/withdrawal"
        )
        return result

    def statement_export(self, ref: str) -> dict[str, Any]:
        """``{"file": base64 of the export, "html": the printable page}``."""
        result: dict[str, Any] = self._request("GET", f"/statements/{quote(ref, safe='')}/export")
        return result

    def send_conference(
        self,
        ref: str,
        *,
        text: str,
        precedence: str = "routine",
        channel: str = "leaders",
        markings: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One payload to every other member: ``{"group", "payload_hash", "conference", "messages"}``."""
        body: dict[str, Any] = {"text": text, "precedence": precedence, "channel": channel}
        if markings:
            body["markings"] = markings
        result: dict[str, Any] = self._request(
            "POST", f"/conferences/{quote(ref, safe='')}/messages", json_body=body
        )
        return result

    def is_running(self) -> bool:
        try:
            self.status()
        except DaemonNotRunning:
            return False
        return True


class _UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over the terminal's Unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("terminal", timeout=timeout)
        self._socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class SendLane:
    """Synchronous client for one terminal's send lane (``DIR/send.sock``, docs/lane.md).

    One connection, opened here and kept until :meth:`close`. :meth:`send`
    answers once the message is durable; :meth:`send_many` pipelines, so the
    terminal queues what it has read in one commit; :meth:`wait_delivered` is
    the lane's ``wait``. Refusals raise the daemon's own error class, as
    :class:`ControlClient` does. Not thread-safe: one lane per thread.
    """

    def __init__(self, directory: Path, *, timeout: float = 30.0) -> None:
        self.paths = TerminalPaths(directory)
        if not self.paths.is_initialised():
            raise NotInitialised(
                f"{directory} is not a hotline terminal (create one with: hotline init)"
            )
        self._timeout = timeout
        self._tags = itertools.count(1)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(str(send_socket_path(self.paths)))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            sock.close()
            raise DaemonNotRunning(
                f"no terminal is running in {self.paths.root} (start it with: hotline run {self.paths.root})"
            ) from exc
        except OSError as exc:
            sock.close()
            raise DaemonError(f"cannot reach the terminal in {self.paths.root}: {exc}") from exc
        self._sock = sock
        self._file = sock.makefile("rwb")

    def close(self) -> None:
        self._file.close()
        self._sock.close()

    def __enter__(self) -> SendLane:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def send(
        self, *, to: str, text: str, precedence: str = "routine", channel: str = "leaders"
    ) -> dict[str, Any]:
        """Queue one message; ``{"ok", "id", "serial", "time_group", "tag"}`` once it is durable."""
        request = {"op": "send", "to": to, "text": text, "precedence": precedence}
        if channel != "leaders":
            request["channel"] = channel
        (tag,) = self._write([request])
        return lane_answer(self._read(tag))

    def send_many(self, messages: Sequence[dict[str, str]]) -> list[dict[str, Any]]:
        """Queue several messages (dicts with to, text, optionally precedence, channel), pipelined.

        Unlike :meth:`ControlClient.send_many`, each message stands alone: one
        answer per message, in order, each either a send's answer or a refusal
        ``{"ok": false, "error", "detail", "tag"}`` (:func:`lane_answer` raises it).
        """
        requests = [{"op": "send", **message} for message in messages]
        answers: list[dict[str, Any]] = []
        pending: deque[int] = deque()
        index = 0
        while index < len(requests) or pending:
            # At most two windows in flight: their answers fit the socket buffers,
            # so the terminal never blocks writing while we are still writing.
            while index < len(requests) and len(pending) <= LANE_WINDOW:
                chunk = requests[index : index + LANE_WINDOW]
                pending.extend(self._write(chunk))
                index += len(chunk)
            answers.append(self._read(pending.popleft()))
        return answers

    def wait_delivered(self, message_id: str, *, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until the message is delivered or ``timeout`` passes: ``{"ok", "id", "state", ...}``."""
        (tag,) = self._write([{"op": "wait", "id": message_id, "within": timeout}])
        return lane_answer(self._read(tag, timeout=timeout + 10))

    def _write(self, requests: Sequence[dict[str, Any]]) -> list[int]:
        tags = [next(self._tags) for _ in requests]
        data = b"".join(
            json.dumps({**request, "tag": tag}, ensure_ascii=False, separators=(",", ":")).encode()
            + b"\n"
            for request, tag in zip(requests, tags, strict=True)
        )
        try:
            self._file.write(data)
            self._file.flush()
        except OSError as exc:
            raise self._broken(
                f"the terminal in {self.paths.root} did not take the request: {exc}"
            ) from exc
        return tags

    def _read(self, tag: int, *, timeout: float | None = None) -> dict[str, Any]:
        """The next answer, which must be ``tag``'s: this client has one wait at most in flight."""
        try:
            if timeout is not None:
                self._sock.settimeout(max(timeout, self._timeout))
            line = self._file.readline()
        except OSError as exc:  # a timeout included: the stream's position is lost
            raise self._broken(f"the terminal in {self.paths.root} did not answer: {exc}") from exc
        finally:
            if timeout is not None and self._sock.fileno() != -1:
                self._sock.settimeout(self._timeout)
        if not line:
            raise self._broken(f"the terminal in {self.paths.root} closed the send lane")
        try:
            answer = json.loads(line)
        except ValueError as exc:
            raise self._broken(f"the send lane answered something not JSON: {exc}") from exc
        if not isinstance(answer, dict):
            raise self._broken(f"the send lane answered {line[:200]!r}")
        if answer.get("tag") != tag:
            if answer.get("tag") is None and answer.get("ok") is False:
                # Refused before its tag could be read (a line over the limit): the
                # terminal closes the connection after it.
                self.close()
                lane_answer(answer)
            raise self._broken(f"the send lane answered tag {answer.get('tag')!r}, not {tag}")
        return answer

    def _broken(self, detail: str) -> DaemonError:
        self.close()
        return DaemonError(detail)


def lane_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` if it is ``ok``; else raise the error it names (as the daemon raised it)."""
    if answer.get("ok") is True:
        return answer
    raise _ERRORS.get(str(answer.get("error")), DaemonError)(str(answer.get("detail", "")))
