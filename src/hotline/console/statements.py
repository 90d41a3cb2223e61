"""What the Statements page shows of a joint statement, shaped for its templates.

:func:`statement_page_view` takes the desk's JSON (``StatementView.to_json``,
the shape both HTTP APIs answer) and adds what only a reader needs: every time
formatted in their language, the current draft's languages in order (the
authoritative one first, marked), and for each revision the word-by-word
difference to the draft it revised, per language (:func:`word_diff`).

The differences are lists of ``{"op", "text"}`` segments, never HTML: the
template writes each inside ``<ins>``/``<del>``/plain text with Jinja2's
autoescaping, so a statement's text can never become markup in the page.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from hotline.console.i18n import format_utc_text
from hotline.terminal import Terminal
from hotline.terminal.desks.statements import StatementDesk

__all__ = ["DiffSegment", "statement_list_view", "statement_page_view", "word_diff"]

#: A difference segment: ``{"op": "same" | "ins" | "del", "text": ...}``.
DiffSegment = dict[str, str]

# Words, runs of white space, and single other characters: a changed comma shows as
# one mark, not as a changed word, and line breaks survive in the white space.
_TOKENS = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)


def word_diff(old: str, new: str) -> list[DiffSegment]:
    """The segments turning ``old`` into ``new``, word by word, adjacent ones merged."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    segments: list[DiffSegment] = []

    def add(op: str, tokens: list[str]) -> None:
        text = "".join(tokens)
        if not text:
            return
        if segments and segments[-1]["op"] == op:
            segments[-1]["text"] += text
        else:
            segments.append({"op": op, "text": text})

    # autojunk off: a statement is short, and its common words ("the") must match.
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add("same", a[i1:i2])
        else:  # replace is a deletion then an insertion, as a reader marks it up
            add("del", a[i1:i2])
            add("ins", b[j1:j2])
    return segments


def _languages(texts: dict[str, str], authoritative: str | None) -> list[str]:
    return sorted(texts, key=lambda lang: (lang != authoritative, lang))


def _revisions(view: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """Each draft, newest first, with its per-language difference to the one it revised."""
    drafts = view["drafts"]
    shown = []
    for number, draft in enumerate(drafts, start=1):
        previous = drafts[number - 2]["texts"] if number > 1 else None
        languages = sorted(set(draft["texts"]) | set(previous or {}))
        changes = []
        if previous is not None:
            for lang in languages:
                old, new = previous.get(lang, ""), draft["texts"].get(lang, "")
                if old != new:
                    changes.append({"language": lang, "segments": word_diff(old, new)})
        shown.append(
            {
                "number": number,
                "id": draft["id"],
                "drafter": draft["drafter"],
                "display_drafted_at": format_utc_text(draft["drafted_at"], language),
                "current": draft["id"] == view["current"],
                "changes": changes,
            }
        )
    return shown[::-1]


def statement_page_view(terminal: Terminal, ref: str, *, language: str) -> dict[str, Any]:
    """One statement for its page: the desk's JSON, times for ``language``, texts, differences."""
    view = terminal.desk(StatementDesk).show(ref).to_json()
    for party in view["parties"]:
        party["display_signed_at"] = format_utc_text(party["signed_at"], language)
        party["display_waiting_since"] = format_utc_text(party["waiting_since"], language)
    for key in ("drafted_at", "revised_at", "in_force_at", "withdrawn_at", "effective", "expires"):
        view[f"display_{key}"] = format_utc_text(view[key], language)
    view["languages"] = _languages(view["texts"], view["authoritative"])
    view["revisions"] = _revisions(view, language)
    return view


def statement_list_view(terminal: Terminal, *, language: str) -> list[dict[str, Any]]:
    """Every statement, newest first: title, state, parties signed k/n, waiting since when."""
    rows = []
    for statement in terminal.desk(StatementDesk).list():
        view = statement.to_json()
        waiting = [p["waiting_since"] for p in view["parties"] if p["waiting_since"]]
        rows.append(
            {
                "id": view["id"],
                "title": view["title"],
                "state": view["state"],
                "signed": view["signed"],
                "policy": view["policy"],
                "parties": len(view["parties"]),
                "drafts": len(view["drafts"]),
                "waiting_since": min(waiting) if waiting else None,
                "display_waiting_since": format_utc_text(min(waiting), language)
                if waiting
                else None,
            }
        )
    return rows[::-1]
