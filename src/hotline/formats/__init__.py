"""hotline.formats: agreed-format notifications — schemas, validation, renderings.

Most risk-reduction traffic is not free text but *formatted* notifications:
launch notices under the 1988 agreement, flight and exercise notices,
ceasefire-violation reports, meeting proposals, pre-agreed code words. Each
format here has a stable code and a version; its data is checked field by
field (every problem reported at once, by field path), normalised to one
canonical form, and rendered in English, Indonesian and Russian. The data is
authoritative: a rendering is only a view of it, and each side renders a
notice in its own reader's language.

The package is pure: no I/O, no clock (the time is a parameter), no
randomness. A notification travels as an envelope of kind ``notification``
whose body is ``{"text": <English rendering>, "format": code, "version": n,
"data": {…}}``; docs/formats.md is the normative description.
"""

from __future__ import annotations

from hotline.formats.areas import (
    AREA_KINDS,
    DISTANCE_UNITS,
    MAX_POINTS,
    area_field,
    coordinates_field,
    points_field,
    render_area,
    render_coordinates,
    render_points,
)
from hotline.formats.codewords import (
    CODE_WORD_PATTERN,
    CODEWORD,
    CODEWORD_NUMBER_MAX,
    MEANING_MAX_CHARS,
    Codebook,
    codeword_meaning,
    parse_codebook,
)
from hotline.formats.fields import (
    INVALID,
    BooleanField,
    ChoiceField,
    CodeField,
    EnumField,
    Field,
    IntegerField,
    ListField,
    NumberField,
    Problems,
    RecordField,
    TextField,
    TimeField,
    check_definition,
    check_fields,
    child_path,
    item_path,
    window_field,
)
from hotline.formats.format import Context, Format, Rule, Summariser, Writer
from hotline.formats.i18n import (
    LABELS,
    LANGUAGES,
    PHRASES,
    TITLES,
    UNITS,
    VALUES,
    Renderer,
    check_language,
    format_moment,
    format_number,
)
from hotline.formats.launch import LAUNCH, LAUNCH_LEAD_TIME
from hotline.formats.meeting import (
    MEETING,
    MEETING_FORMATS,
    MEETING_REPLY,
    REPLY_STATES,
    SETTLED_BY_REPLY,
    apply_reply,
)
from hotline.formats.meetingstate import (
    FINAL_STATES,
    MEETING_STATES,
    MEETING_TRANSITIONS,
    MEETINGS,
    MeetingState,
    meeting_state,
    transition,
)
from hotline.formats.notices import CEASEFIRE, EXERCISE, FLIGHT, WEAPONS
from hotline.formats.problems import (
    CODE_DESCRIPTIONS,
    PROBLEM_TEXTS,
    Problem,
    ProblemValue,
    problem_json,
    render_problem,
)
from hotline.formats.registry import (
    FORMATS,
    get_format,
    notification_body,
    read_notification_body,
    render_text,
    summary,
)

__all__ = [
    "AREA_KINDS",
    "BooleanField",
    "CEASEFIRE",
    "CODEWORD",
    "CODEWORD_NUMBER_MAX",
    "CODE_DESCRIPTIONS",
    "CODE_WORD_PATTERN",
    "ChoiceField",
    "CodeField",
    "Codebook",
    "Context",
    "DISTANCE_UNITS",
    "EXERCISE",
    "EnumField",
    "FINAL_STATES",
    "FLIGHT",
    "FORMATS",
    "Field",
    "Format",
    "INVALID",
    "IntegerField",
    "LABELS",
    "LANGUAGES",
    "LAUNCH",
    "LAUNCH_LEAD_TIME",
    "ListField",
    "MAX_POINTS",
    "MEANING_MAX_CHARS",
    "MEETING",
    "MEETINGS",
    "MEETING_FORMATS",
    "MEETING_REPLY",
    "MEETING_STATES",
    "MEETING_TRANSITIONS",
    "MeetingState",
    "NumberField",
    "PHRASES",
    "PROBLEM_TEXTS",
    "Problem",
    "ProblemValue",
    "Problems",
    "REPLY_STATES",
    "RecordField",
    "Renderer",
    "Rule",
    "SETTLED_BY_REPLY",
    "Summariser",
    "TITLES",
    "TextField",
    "TimeField",
    "UNITS",
    "VALUES",
    "WEAPONS",
    "Writer",
    "apply_reply",
    "area_field",
    "check_definition",
    "check_fields",
    "check_language",
    "child_path",
    "codeword_meaning",
    "coordinates_field",
    "format_moment",
    "format_number",
    "get_format",
    "item_path",
    "meeting_state",
    "notification_body",
    "parse_codebook",
    "points_field",
    "problem_json",
    "read_notification_body",
    "render_area",
    "render_coordinates",
    "render_points",
    "render_problem",
    "render_text",
    "summary",
    "transition",
    "window_field",
]
