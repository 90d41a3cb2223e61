"""Free text people write: what a message may hold, and how to show any text in a terminal.

A message's text is read on screens and printed on terminals at the other
end. Three kinds of character make it read differently from what it says:

* **control characters** (C0 but newline and tab, DEL, C1): an ESC starts an
  ANSI sequence that recolours a terminal, rewrites its title or moves the
  cursor over earlier lines; NUL truncates the text in C tools;
* **bidirectional overrides, embeddings and isolates** (U+202A to U+202E,
  U+2066 to U+2069): "Trojan Source" — the text displays in an order other than
  the one it is stored in;
* **line and paragraph separators** (U+2028, U+2029) and lone surrogates:
  lines break where a reader does not see a newline, or the text cannot be
  encoded at all.

:func:`check_free_text` refuses them when a text is sent, so none of ours
carries one. A peer's text is what the peer signed, whatever it holds:
:func:`for_terminal` shows any text with those characters escaped, so a
terminal never acts on them. Formatted notifications apply the same rule to
their text fields (:mod:`hotline.formats.fields`).
"""

from __future__ import annotations

import re

from hotline.errors import InvalidArgument

__all__ = ["UNSAFE", "check_free_text", "first_unsafe", "for_terminal"]

#: Every character free text may not hold (newline and tab are allowed).
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# The same, with newline and tab: a one-line rendering escapes those too.
_UNSAFE_ONE_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMES = {
    "\x00": "NUL",
    "\x1b": "ESC (starts a terminal escape sequence)",
    "\x7f": "DEL",
    "\u2028": "LINE SEPARATOR",
    "\u2029": "PARAGRAPH SEPARATOR",
    "\u202e": "RIGHT-TO-LEFT OVERRIDE",
    "\u202d": "LEFT-TO-RIGHT OVERRIDE",
}


def first_unsafe(text: str) -> int | None:
    """The index of the first character free text may not hold, or None."""
    found = UNSAFE.search(text)
    return None if found is None else found.start()


def _describe(char: str) -> str:
    code = f"U+{ord(char):04X}"
    name = _NAMES.get(char)
    if name is not None:
        return f"{code} {name}"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return f"{code} (a bidirectional control)"
    if "\ud800" <= char <= "\udfff":
        return f"{code} (a lone surrogate)"
    return f"{code} (a control character)"


def check_free_text(text: str, what: str = "the text") -> str:
    """``text`` unchanged if it holds no unsafe character; InvalidArgument naming the first one.

    The error names the character by its code point and its position (1-based,
    in characters), never echoing it raw.
    """
    found = UNSAFE.search(text)
    if found is None:
        return text
    raise InvalidArgument(
        f"{what} contains {_describe(found.group())} at character {found.start() + 1}:"
        " control characters (other than newline and tab), bidirectional overrides and"
        " line separators are not allowed; nothing was sent"
    )


def _escape(found: re.Match[str]) -> str:
    code = ord(found.group())
    if code == 0x0A:
        return "\u23ce "  # ⏎: the line went on here
    if code == 0x09:
        return " "
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_terminal(text: str, *, one_line: bool = False) -> str:
    """``text`` safe to print on a terminal: every unsafe character as a visible escape.

    ``one_line`` also shows newlines (as ⏎) and tabs as spaces, so a
    text longer than a line cannot break a table's rows.
    """
    pattern = _UNSAFE_ONE_LINE if one_line else UNSAFE
    return pattern.sub(_escape, text)
