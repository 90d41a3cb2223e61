"""The bodies the console's JSON API accepts (pydantic models, validated on arrival).

What the API returns is built in :mod:`hotline.console.views` and
:mod:`hotline.console.detail`, from the terminal's own records; these are
only the requests. A body that fails validation is answered 422 as
``{"error": "InvalidArgument", "detail": ...}``, like every other refusal
(:mod:`hotline.terminal.api.errors`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.crypto import Precedence
from hotline.terminal import DEFAULT_CHANNEL, UI_LANGUAGES
from hotline.terminal.desks.shiftlog import MAX_NOTE_CHARS

__all__ = [
    "CallAnswer",
    "CallCandidate",
    "CallCreate",
    "CallDescription",
    "CallHangup",
    "CallMedia",
    "LanguageChange",
    "MAX_CANDIDATE_CHARS",
    "MAX_REASON_CHARS",
    "MAX_SDP_CHARS",
    "MessageCreate",
    "NotificationCheck",
    "NotificationCreate",
    "PresenceCreate",
    "ReleaseCreate",
    "ShiftNoteCreate",
]

#: The largest SDP a browser may post. A real offer with a few dozen candidates is
#: 3-8 KiB; the terminal refuses whatever will not fit in one sealed signal.
MAX_SDP_CHARS = 65_536
#: An ICE candidate line is under 200 characters; the bound only stops abuse.
MAX_CANDIDATE_CHARS = 2_048
#: Why a browser hung up (a fingerprint mismatch names both fingerprints).
MAX_REASON_CHARS = 500


class MessageCreate(BaseModel):
    """A message to send: to a peer, on a channel, at a precedence."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)
    precedence: Precedence = Precedence.ROUTINE
    channel: str = DEFAULT_CHANNEL
    exercise: bool = False
    #: Handling markings (docs/protocol/markings.md): the body's markings map.
    markings: dict[str, Any] | None = None

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
    #: Handling markings (docs/protocol/markings.md): the body's markings map.
    markings: dict[str, Any] | None = None


class ReleaseCreate(BaseModel):
    """The release of a marked message: its public text (optional)."""

    model_config = ConfigDict(extra="forbid")

    public_text: str | None = Field(default=None, max_length=4000)


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


# -- calls --------------------------------------------------------------------------


class CallCreate(BaseModel):
    """A call to place: to a peer, on a channel, video or audio, with the browser's offer."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=64)
    channel: str = Field(default=DEFAULT_CHANNEL, min_length=1, max_length=64)
    kind: Literal["video", "audio"] = "video"
    #: The complete local offer, after ICE gathering (or its 2 s limit).
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class CallAnswer(BaseModel):
    """The callee's browser's answer to the offer."""

    model_config = ConfigDict(extra="forbid")

    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class CallHangup(BaseModel):
    """Hang up; ``failed`` with a reason when the browser gave up (fingerprint, ICE)."""

    model_config = ConfigDict(extra="forbid")

    failed: bool = False
    reason: str | None = Field(default=None, min_length=1, max_length=MAX_REASON_CHARS)


class CallDescription(BaseModel):
    """A new session description during a call (an ICE restart's offer, or its answer)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["offer", "answer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class CallCandidate(BaseModel):
    """A trickled ICE candidate, named as the browser's RTCIceCandidateInit names it."""

    model_config = ConfigDict(extra="forbid")

    candidate: str = Field(min_length=1, max_length=MAX_CANDIDATE_CHARS)
    sdp_mid: str | None = Field(default=None, alias="sdpMid", max_length=64)
    sdp_mline_index: int | None = Field(default=None, alias="sdpMLineIndex", ge=0, le=1024)

    def init(self) -> dict[str, Any]:
        """The candidate as the browser gave it (and as the peer's browser will take it)."""
        return {
            "candidate": self.candidate,
            "sdpMid": self.sdp_mid,
            "sdpMLineIndex": self.sdp_mline_index,
        }


class CallMedia(BaseModel):
    """The browser's media connection state, as its RTCPeerConnection reports it."""

    model_config = ConfigDict(extra="forbid")

    state: Literal["connected", "disconnected", "failed"]


class PresenceCreate(BaseModel):
    """Ask the peer to bring the principal to the machine (before a leaders' call)."""

    model_config = ConfigDict(extra="forbid")

    to: str = Field(min_length=1, max_length=64)
    channel: str = Field(default=DEFAULT_CHANNEL, min_length=1, max_length=64)
    note: str = Field(default="", max_length=MAX_REASON_CHARS)
