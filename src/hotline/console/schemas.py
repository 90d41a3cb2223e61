"""The bodies the console's JSON API accepts (pydantic models, validated on arrival).

What the API returns is built in :mod:`hotline.console.views` and
:mod:`hotline.console.detail`, from the terminal's own records; these are
only the requests. A body that fails validation is answered 422 as
``{"error": "ConfigError", "detail": ...}``, like every other refusal.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.crypto import Precedence
from hotline.terminal import DEFAULT_CHANNEL, MAX_NOTE_CHARS, UI_LANGUAGES

__all__ = [
    "LanguageChange",
    "MessageCreate",
    "NotificationCheck",
    "NotificationCreate",
    "ShiftNoteCreate",
]


class MessageCreate(BaseModel):
    """A message to send: to a peer, on a channel, at a precedence."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL
    exercise: bool = False

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        # Checked, never changed: the text goes out exactly as typed.
        if not text.strip():
            raise ValueError("the message has no text")
        return text


class NotificationCheck(BaseModel):
    """A formatted notification to check without sending it: its format and data.

    ``to`` (optional here) lets a meeting reply be checked against the meeting
    with that peer; ``override`` is the late-notice consent a launch notice may need.
    """

    model_config = ConfigDict(extra="forbid")

    format: str = Field(min_length=1, max_length=64)
    #: Checked field by field by the format itself, which names every bad field.
    data: dict[str, Any]
    to: str | None = Field(default=None, min_length=1, max_length=64)
    override: bool = False


class NotificationCreate(BaseModel):
    """A formatted notification to send: to a peer, on a channel, at a precedence."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=64)
    format: str = Field(min_length=1, max_length=64)
    data: dict[str, Any]
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL
    exercise: bool = False
    #: The operator's explicit consent to a late launch notice (flagged on both sides).
    override: bool = False


class ShiftNoteCreate(BaseModel):
    """A handover note for the shift log."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class LanguageChange(BaseModel):
    """The interface language the user switches to."""

    model_config = ConfigDict(extra="forbid")

    language: str

    @field_validator("language")
    @classmethod
    def _known(cls, language: str) -> str:
        if language not in UI_LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(UI_LANGUAGES)}")
        return language
