"""What free text may hold, and how any text is shown on a terminal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import InvalidArgument
from hotline.freetext import UNSAFE, check_free_text, first_unsafe, for_terminal


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("x \x1b[31mRED\x1b[0m", "U+001B ESC"),
        ("a\x00b", "U+0000 NUL"),
        ("pay \u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066isolate", "U+2066 (a bidirectional control)"),
        ("bell\x07", "U+0007 (a control character)"),
        ("c1 \x9b", "U+009B (a control character)"),
        ("line\u2028sep", "U+2028 LINE SEPARATOR"),
    ],
)
def test_unsafe_characters_are_refused_by_code_point_never_raw(text: str, named: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        check_free_text(text)
    message = str(caught.value)
    assert named in message
    assert f"at character {text.index(UNSAFE.search(text).group()) + 1}" in message  # type: ignore[union-attr]
    assert UNSAFE.search(message) is None


def test_newlines_tabs_and_every_script_are_free_text() -> None:
    text = "Line one\n\t\u041c\u043e\u0441\u043a\u0432\u0430, Jakarta \u2014 \u6771\u4eac \u2713\n\u05e9\u05dc\u05d5\u05dd"
    assert check_free_text(text) == text
    assert first_unsafe(text) is None


def test_a_peer_text_is_shown_with_every_unsafe_character_escaped() -> None:
    shown = for_terminal("x \x1b]0;pwned\x07 \u202eabc\nnext")
    assert shown == "x \\x1b]0;pwned\\x07 \\u202eabc\nnext"
    assert for_terminal("one\ntwo\tthree", one_line=True) == "one\u23ce two three"


@given(st.text())
def test_for_terminal_never_lets_an_unsafe_character_through(text: str) -> None:
    shown = for_terminal(text)
    assert UNSAFE.search(shown) is None
    one_line = for_terminal(text, one_line=True)
    assert "\n" not in one_line
    assert UNSAFE.search(one_line) is None
    if first_unsafe(text) is None:
        assert shown == text
        assert check_free_text(text) == text
    else:
        with pytest.raises(InvalidArgument):
            check_free_text(text)
