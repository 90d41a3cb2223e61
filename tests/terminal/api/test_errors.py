"""The error contract both HTTP APIs share: one status per error class, one body."""

from __future__ import annotations

import pytest

from hotline import errors
from hotline.errors import (
    AccessError,
    AlreadyInitialised,
    AuthenticationFailed,
    CallError,
    ConfigError,
    DaemonNotRunning,
    HotlineError,
    InvalidArgument,
    LinkError,
    MessageTooLarge,
    NotificationInvalid,
    NotInitialised,
    PeerConflict,
    PermissionDenied,
    ProtocolError,
    SignatureInvalid,
    UnknownAlarm,
    UnknownCall,
    UnknownFormat,
    UnknownMessage,
    UnknownPeer,
    UnknownProposal,
    UnknownUser,
)
from hotline.formats import Problem
from hotline.terminal.api.errors import (
    ERROR_STATUS,
    error_body,
    error_status,
    validation_detail,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (AuthenticationFailed("x"), 401),
        (PermissionDenied("x"), 403),
        (AccessError("x"), 403),
        (UnknownUser("x"), 404),
        (UnknownMessage("x"), 404),
        (UnknownCall("x"), 404),
        (UnknownProposal("x"), 404),
        (UnknownAlarm("x"), 404),
        (UnknownPeer("x"), 404),
        (PeerConflict("x"), 409),
        (CallError("x"), 409),
        (NotInitialised("x"), 409),
        (AlreadyInitialised("x"), 409),
        (MessageTooLarge("x"), 413),
        (InvalidArgument("x"), 422),
        (NotificationInvalid([Problem("when", "required")]), 422),
        (UnknownFormat("x"), 422),
        (ConfigError("x"), 422),
        (LinkError("x"), 400),
        (SignatureInvalid("x"), 400),
        (DaemonNotRunning("x"), 400),
        (HotlineError("x"), 400),
    ],
)
def test_error_status(error: HotlineError, status: int) -> None:
    assert error_status(error) == status


def test_a_subclass_takes_its_nearest_listed_ancestors_status() -> None:
    class Narrower(UnknownPeer):
        """Not in the table."""

    assert error_status(Narrower("x")) == ERROR_STATUS[UnknownPeer]


def test_every_error_class_has_a_status() -> None:
    classes = [
        cls
        for name in errors.__all__
        if isinstance(cls := getattr(errors, name), type) and issubclass(cls, HotlineError)
    ]
    for cls in classes:
        if cls is ProtocolError:
            continue  # abstract: never raised itself
        error = cls([]) if cls is NotificationInvalid else cls.__new__(cls)
        assert 400 <= error_status(error) < 500, cls


def test_invalid_argument_is_also_a_value_error() -> None:
    assert issubclass(InvalidArgument, ValueError)
    assert issubclass(NotificationInvalid, ValueError)
    assert not issubclass(ConfigError, ValueError)


def test_error_body() -> None:
    assert error_body(UnknownPeer("no peer Beijing")) == {
        "error": "UnknownPeer",
        "detail": "no peer Beijing",
    }
    problems = [["when", "must be a time"]]
    assert error_body(InvalidArgument("x"), problems=problems)["problems"] == problems


def test_validation_detail_names_each_field_without_its_location_kind() -> None:
    found = [
        {"loc": ("body", "to"), "msg": "String should have at least 1 character"},
        {"loc": ("query", "limit"), "msg": "Input should be greater than 0"},
        {"loc": ("body",), "msg": "Field required"},
    ]
    assert validation_detail(found) == (
        "to: String should have at least 1 character; "
        "limit: Input should be greater than 0; body: Field required"
    )
    assert validation_detail([]) == "invalid request"
