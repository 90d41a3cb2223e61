"""The error contract of both HTTP APIs: which status each error gets, and the body.

A refusal is answered with the status :data:`ERROR_STATUS` gives the error's
class (found along its MRO, so a subclass inherits its parent's status unless
it has its own row) and the body ``{"error": "<HotlineError subclass name>",
"detail": "<its message>"}``, plus ``problems`` for a
:class:`~hotline.errors.NotificationInvalid`. A request FastAPI itself refuses
(a body or query that does not fit its model) is answered the same way, 422
``InvalidArgument`` (:func:`validation_detail` says where). The client
(:class:`~hotline.terminal.client.ControlClient`) raises the class the body
names, so the CLI sees the daemon's own error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

from hotline.errors import (
    AccessError,
    AlreadyInitialised,
    AuthenticationFailed,
    BackupInvalid,
    BundleInvalid,
    CallError,
    ConfigError,
    FencedOut,
    FingerprintMismatch,
    HotlineError,
    InvalidArgument,
    KeyExpired,
    KeyRevoked,
    MessageTooLarge,
    NotCosigned,
    NotInitialised,
    PassphraseError,
    PeerBlocked,
    PeerError,
    PeerRemoved,
    PermissionDenied,
    StatementInvalid,
    TokenUnavailable,
    UnknownAlarm,
    UnknownFormat,
    UnknownMessage,
    UnknownPeer,
    UnknownStatement,
    UnknownUser,
)

__all__ = [
    "ERROR_STATUS",
    "VALIDATION_ERROR",
    "error_body",
    "error_status",
    "validation_detail",
]

#: The HTTP status for each error class; a class not listed takes its nearest
#: listed ancestor's (``HotlineError`` itself: 400).
ERROR_STATUS: Final[Mapping[type[HotlineError], int]] = MappingProxyType(
    {
        HotlineError: 400,
        AuthenticationFailed: 401,
        AccessError: 403,  # PermissionDenied, and any refusal of access not named here
        PermissionDenied: 403,
        # A thing this terminal stores (or would) is not there: the request is
        # sound, the state does not hold it. UnknownCall, UnknownProposal inherit.
        UnknownUser: 404,
        UnknownMessage: 404,
        UnknownPeer: 404,
        UnknownAlarm: 404,
        PeerError: 409,  # PeerConflict: a card that clashes with a stored one
        CallError: 409,  # the call's state does not allow this (answer an ended call)
        NotInitialised: 409,
        AlreadyInitialised: 409,
        MessageTooLarge: 413,
        # The record holds no checkpoint a peer cosigned (yet): the request is sound,
        # the state cannot answer it until a peer cosigns.
        NotCosigned: 409,
        BundleInvalid: 422,
        BackupInvalid: 422,  # a damaged archive, like a malformed bundle
        # A value in the request is refused: the request cannot be processed as
        # given (NotificationInvalid inherits).
        InvalidArgument: 422,
        # UnknownFormat is 422, not 404. The format code is a value inside a request
        # body, checked like the data it names, and the set of formats is fixed
        # by this hotline's version, not by the terminal's state: "version 2 of
        # flight is not known here" is a bad value, not a missing resource. The
        # console's notify form shows it beside the field, as it shows the
        # NotificationInvalid problems, and a 404 would read as a wrong URL.
        UnknownFormat: 422,
        # A request cannot make the configuration wrong; when a route meets a
        # bad setting (no console address, an unreadable codebook) the terminal
        # cannot do what was asked. Kept 422 as both APIs answered it before.
        ConfigError: 422,
        # A statement action its state refuses, or a draft or signature that does not hold.
        StatementInvalid: 422,
        UnknownStatement: 404,
        # A standby process of an active/standby pair (or one that lost the lead):
        # the other process serves; try it.
        FencedOut: 409,
        # A removed peer's line, a fingerprint that does not match: the state
        # refuses, as for PeerConflict.
        PeerRemoved: 409,
        FingerprintMismatch: 409,
        # A peer whose new master key awaits its fingerprint check (docs/keys.md).
        PeerBlocked: 409,
        # A peer whose encryption key expired: nothing is sealed to it (docs/keys.md).
        KeyExpired: 409,
        # The daemon never answers this (it runs with its keys open); a
        # request that reaches the sealed keys offline is refused plainly.
        PassphraseError: 400,
        # Likewise for a signing key in a token the daemon has open already.
        TokenUnavailable: 400,
        # Signed by a revoked key: the state (the peer's revocation) refuses it.
        KeyRevoked: 409,
    }
)

#: The error name a request FastAPI refuses before any route runs is answered with.
VALIDATION_ERROR: Final = InvalidArgument.__name__


def error_status(exc: HotlineError) -> int:
    """The HTTP status for ``exc``: its class's row in :data:`ERROR_STATUS`, else its nearest ancestor's."""
    for cls in type(exc).__mro__:
        if issubclass(cls, HotlineError) and cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    raise TypeError(f"{type(exc).__name__} is not a HotlineError")


def error_body(exc: HotlineError, *, problems: Any = None) -> dict[str, Any]:
    """``{"error", "detail"}`` for ``exc``; ``problems`` added when given (NotificationInvalid)."""
    body: dict[str, Any] = {"error": type(exc).__name__, "detail": str(exc)}
    if problems is not None:
        body["problems"] = problems
    return body


def validation_detail(errors: Iterable[Mapping[str, Any]]) -> str:
    """One line for what FastAPI's request validation refused: ``where: why`` per problem.

    ``where`` is the field's path without its first part (``body``, ``query``,
    ``path``), dotted: ``to: String should have at least 1 character``.
    """
    parts = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        where = ".".join(location[1:] if len(location) > 1 else location)
        message = str(error.get("msg", "invalid"))
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or "invalid request"
