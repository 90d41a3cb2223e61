"""The error tree: one root, drawn in the docstring, and ProtocolError abstract."""

from __future__ import annotations

import re

import pytest

from hotline import errors
from hotline.errors import (
    HotlineError,
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
)
from hotline.proto import CloseCode


def _error_classes() -> list[type[BaseException]]:
    return [
        cls
        for name in errors.__all__
        if isinstance(cls := getattr(errors, name), type) and issubclass(cls, BaseException)
    ]


def test_every_error_is_a_hotline_error_with_a_docstring() -> None:
    for cls in _error_classes():
        assert issubclass(cls, HotlineError)
        assert cls.__doc__


def test_docstring_tree_lists_every_error_under_its_parent() -> None:
    doc = errors.__doc__ or ""
    for cls in _error_classes():
        line = next((ln for ln in doc.splitlines() if re.search(rf"\b{cls.__name__}\b", ln)), None)
        assert line is not None, f"{cls.__name__} is missing from the tree in errors.py's docstring"
        depth = line.index(cls.__name__)
        if cls is HotlineError:
            continue
        parent = cls.__mro__[1]
        parent_line = next(
            ln for ln in doc.splitlines() if re.search(rf"\b{parent.__name__}\b", ln)
        )
        assert parent_line.index(parent.__name__) < depth, (
            f"{cls.__name__} is not drawn under {parent.__name__}"
        )


def test_protocol_error_is_abstract() -> None:
    with pytest.raises(TypeError):
        ProtocolError("x")
    assert isinstance(LocalProtocolError("x"), ProtocolError)
    remote = RemoteProtocolError("bad", close_code=CloseCode.FRAME_TOO_LARGE)
    assert remote.close_code is CloseCode.FRAME_TOO_LARGE
    with pytest.raises(TypeError):
        RemoteProtocolError("bad")  # type: ignore[call-arg]  # the code is always chosen


def test_all_is_sorted() -> None:
    assert errors.__all__ == sorted(errors.__all__)
