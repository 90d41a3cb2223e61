"""Request bodies: checked on arrival, and a message's text never changed by the check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from hotline.console import LanguageChange, MessageCreate, ShiftNoteCreate
from hotline.crypto import Precedence


@given(st.text(min_size=1).filter(lambda text: text.strip() != ""))
def test_a_message_text_passes_through_exactly(text: str) -> None:
    body = MessageCreate.model_validate({"to": "Moscow", "text": text})
    assert body.text == text
    assert MessageCreate.model_validate(body.model_dump()) == body


def test_message_defaults() -> None:
    body = MessageCreate(to="Moscow", text="hello")
    assert body.precedence is Precedence.ROUTINE
    assert body.channel == "leaders"
    assert body.exercise is False


@pytest.mark.parametrize(
    "fields",
    [
        {"to": "Moscow", "text": ""},
        {"to": "Moscow", "text": " \t\n"},
        {"to": "", "text": "x"},
        {"to": "Moscow", "text": "x", "precedence": "urgent"},
        {"to": "Moscow", "text": "x", "cc": "Beijing"},
    ],
)
def test_bad_messages_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MessageCreate.model_validate(fields)


def test_notes_and_languages() -> None:
    assert ShiftNoteCreate(text="handover").text == "handover"
    with pytest.raises(ValidationError):
        ShiftNoteCreate(text="")
    with pytest.raises(ValidationError):
        ShiftNoteCreate(text="x" * 10_001)
    assert LanguageChange(language="id").language == "id"
    with pytest.raises(ValidationError):
        LanguageChange(language="de")
