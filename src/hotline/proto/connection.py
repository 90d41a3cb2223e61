"""The sans-IO connection: one hotline session, as bytes in and events out.

:class:`Connection` is the h11/wsproto pattern. It never touches a socket, a
TLS object or a clock: the caller (``hotline.link``) reads bytes from wherever
it likes and hands them to :meth:`Connection.receive_data`, pulls events with
:meth:`Connection.next_event` (or :meth:`Connection.events`), and writes
whatever :meth:`Connection.send` returns. So the whole protocol runs in tests
without a network, deterministically, one byte at a time if need be.

The session binding is checked here, because it needs both the frame and the
keys TLS authenticated: the peer's Hello must name the peer's pinned key as
sender and our key as recipient (else ``IDENTITY_MISMATCH``), and the two
version lists must share a version (else ``VERSION_MISMATCH``); the highest
shared one is used. Which event may come when is not decided here but looked up
in :mod:`hotline.proto.states`.

Error handling: any :class:`~hotline.errors.RemoteProtocolError` puts the
connection in ERROR for good. After that ``next_event()`` raises the same error
again (a new instance with the same message and close code), received bytes are
discarded, and ``send()`` accepts only :class:`Close` so the caller can tell the
peer why. A :class:`~hotline.errors.LocalProtocolError` from ``send()`` changes
nothing: no bytes were produced, so the stream is still consistent.
"""

from __future__ import annotations

from collections.abc import Iterator

from hotline.errors import LocalProtocolError, RemoteProtocolError
from hotline.proto.events import (
    KEY_SIZE,
    NEED_DATA,
    Close,
    CloseCode,
    ConnectionClosed,
    Data,
    Event,
    Heartbeat,
    Hello,
    LinkTest,
    LinkTestReceipt,
    NeedData,
    Receipt,
    Resume,
    WitnessCosignature,
    WitnessRefusal,
    WitnessRequest,
)
from hotline.proto.framing import (
    DEFAULT_MAX_FRAME_SIZE,
    FrameReader,
    check_max_frame_size,
    encode_frame,
)
from hotline.proto.states import ConnectionState, Direction, transition

__all__ = ["Connection"]


def _short(key: bytes) -> str:
    # Enough of a key to tell two apart in a log line, not a fingerprint.
    return key[:8].hex()


class Connection:
    """One end of a hotline session. Symmetric: both ends are built the same way.

    ``our_key`` is our Ed25519 public key; ``peer_key`` is the key pinned in the
    certificate the peer presented over TLS. ``versions`` are the protocol
    versions we speak. ``max_frame_size`` bounds frame bodies both ways; both
    terminals must use the same value (1 MiB in version 1).
    """

    __slots__ = (
        "_closed_event",
        "_eof",
        "_error",
        "_hello",
        "_max_frame_size",
        "_negotiated",
        "_peer_agent",
        "_reader",
        "_state",
        "_version",
    )

    def __init__(
        self,
        *,
        our_key: bytes,
        peer_key: bytes,
        versions: tuple[int, ...] = (1,),
        agent: str = "hotline",
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
    ) -> None:
        for name, key in (("our_key", our_key), ("peer_key", peer_key)):
            if type(key) is not bytes or len(key) != KEY_SIZE:
                raise LocalProtocolError(f"{name} must be {KEY_SIZE} bytes")
        # A session with ourselves would make the identity check vacuous: a
        # reflected copy of our own Hello would pass it.
        if our_key == peer_key:
            raise LocalProtocolError("our_key and peer_key are the same key")
        self._max_frame_size = check_max_frame_size(max_frame_size)
        self._hello = Hello(
            versions=versions, sender_key=our_key, recipient_key=peer_key, agent=agent
        )
        # Fail now, not at the first send, if our own Hello cannot fit in a frame.
        encode_frame(self._hello, max_frame_size=self._max_frame_size)
        self._reader = FrameReader(max_frame_size=self._max_frame_size)
        self._state = ConnectionState.START
        self._negotiated: int | None = None
        self._version: int | None = None
        self._peer_agent: str | None = None
        self._eof = False
        self._closed_event: ConnectionClosed | None = None
        self._error: RemoteProtocolError | None = None

    def __repr__(self) -> str:
        return (
            f"<Connection {self._state.name} version={self._version} "
            f"ours={_short(self._hello.sender_key)} peer={_short(self._hello.recipient_key)}>"
        )

    # -- read-only views -----------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """Where the session stands (see :mod:`hotline.proto.states`)."""
        return self._state

    @property
    def version(self) -> int | None:
        """The negotiated protocol version; None until both Hellos have passed."""
        return self._version

    @property
    def peer_agent(self) -> str | None:
        """The ``agent`` string from the peer's Hello, for logs; None before it arrives."""
        return self._peer_agent

    @property
    def our_key(self) -> bytes:
        """Our Ed25519 public key, as given."""
        return self._hello.sender_key

    @property
    def peer_key(self) -> bytes:
        """The peer's pinned Ed25519 public key, as given."""
        return self._hello.recipient_key

    @property
    def max_frame_size(self) -> int:
        """The largest frame body, in bytes, sent or accepted."""
        return self._max_frame_size

    def hello(self) -> Hello:
        """The Hello this side must send first."""
        return self._hello

    # -- sending -------------------------------------------------------------

    def send(self, event: Event) -> bytes:
        """The bytes to write for ``event``. LocalProtocolError if it may not be sent now."""
        if not isinstance(event, Event):
            raise LocalProtocolError(f"can't send {type(event).__name__}: not a protocol event")
        new_state = transition(self._state, Direction.SEND, type(event))
        # Only frames appear under SEND in the table, so this holds; the check
        # is for the type checker, and for a table edited by mistake.
        if not isinstance(
            event,
            Hello
            | Data
            | Receipt
            | Heartbeat
            | Resume
            | Close
            | LinkTest
            | LinkTestReceipt
            | WitnessRequest
            | WitnessCosignature
            | WitnessRefusal,
        ):
            raise LocalProtocolError(f"can't send {type(event).__name__}: not a frame")
        if isinstance(event, Hello):
            self._check_our_hello(event)
        data = encode_frame(event, max_frame_size=self._max_frame_size)
        self._enter(new_state)
        return data

    def send_failed(self) -> None:
        """Tell the connection the caller could not write what ``send`` returned.

        The peer's view of the stream is now unknown, so the session is over:
        the state becomes ERROR.
        """
        self._state = ConnectionState.ERROR

    def _check_our_hello(self, hello: Hello) -> None:
        # Negotiation and binding assume the peer sees exactly what we were
        # configured with; a different Hello would make the two ends disagree.
        if hello.sender_key != self.our_key or hello.recipient_key != self.peer_key:
            raise LocalProtocolError("Hello must name our_key as sender and peer_key as recipient")
        if hello.versions != self._hello.versions:
            raise LocalProtocolError(
                f"Hello offers versions {hello.versions}, configured {self._hello.versions}"
            )

    # -- receiving -----------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        """Feed bytes read from the transport; ``b""`` means the peer closed it (EOF).

        Feeding more bytes after EOF is a LocalProtocolError; repeating EOF is not.
        """
        if self._eof:
            if data:
                raise LocalProtocolError("received data after EOF")
            return
        if not data:
            self._eof = True
        elif self._state is not ConnectionState.ERROR:
            # In ERROR the stream cannot be parsed any more; keep nothing.
            self._reader.feed(data)

    def next_event(self) -> Event | NeedData:
        """The next event, or NEED_DATA if more bytes are needed.

        RemoteProtocolError if the peer broke the protocol; the connection is in
        ERROR from then on and every later call raises the same error. After
        ``send_failed()`` it raises LocalProtocolError: there is no remote error
        to report and nothing more to read. Once the stream has ended it returns
        the same :class:`ConnectionClosed` on every call.
        """
        if self._closed_event is not None:
            return self._closed_event
        if self._state is ConnectionState.ERROR:
            if self._error is None:
                raise LocalProtocolError("the connection failed (send_failed); no more events")
            raise RemoteProtocolError(str(self._error), close_code=self._error.close_code)
        try:
            frame = self._reader.next_frame()
            if frame is None:
                return self._end_of_stream() if self._eof else NEED_DATA
            new_state = transition(self._state, Direction.RECEIVE, type(frame))
            if isinstance(frame, Hello):
                self._check_peer_hello(frame)
        except RemoteProtocolError as exc:
            self._state = ConnectionState.ERROR
            self._error = exc
            raise
        self._enter(new_state)
        return frame

    def events(self) -> Iterator[Event]:
        """Yield events until more bytes are needed or the stream has ended (wsproto style)."""
        while True:
            event = self.next_event()
            if event is NEED_DATA:
                return
            yield event
            if isinstance(event, ConnectionClosed):
                return

    def _end_of_stream(self) -> ConnectionClosed:
        # Clean iff the peer's Close came first (that is what CLOSED means before
        # EOF) and it did not leave half a frame behind.
        clean = self._state is ConnectionState.CLOSED and self._reader.buffered == 0
        self._enter(transition(self._state, Direction.RECEIVE, ConnectionClosed))
        self._closed_event = ConnectionClosed(clean=clean)
        return self._closed_event

    def _check_peer_hello(self, hello: Hello) -> None:
        if hello.sender_key != self.peer_key:
            raise RemoteProtocolError(
                f"peer's Hello is from {_short(hello.sender_key)}, "
                f"but TLS authenticated {_short(self.peer_key)}",
                close_code=CloseCode.IDENTITY_MISMATCH,
            )
        if hello.recipient_key != self.our_key:
            raise RemoteProtocolError(
                f"peer's Hello is addressed to {_short(hello.recipient_key)}, "
                f"not to us ({_short(self.our_key)})",
                close_code=CloseCode.IDENTITY_MISMATCH,
            )
        common = set(self._hello.versions) & set(hello.versions)
        if not common:
            raise RemoteProtocolError(
                f"no common protocol version: we speak {sorted(self._hello.versions)}, "
                f"peer speaks {sorted(hello.versions)}",
                close_code=CloseCode.VERSION_MISMATCH,
            )
        self._negotiated = max(common)
        self._peer_agent = hello.agent

    def _enter(self, state: ConnectionState) -> None:
        self._state = state
        if state is ConnectionState.OPEN:
            self._version = self._negotiated
