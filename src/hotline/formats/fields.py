"""The field types notification formats are built from: each checks, normalises and describes a value.

A format is a list of fields. Validation walks the data once and puts every
problem it finds into one :class:`Problems` list instead of stopping at the
first: an operator drafting a launch notice under time pressure should fix it
in one pass, not discover the errors one by one. Each problem names the field
by its *path*, dotted for nested records and bracketed for list items
(``"window.start"``, ``"corridor[2].lat"``, ``"impact_area.circle.radius"``),
so a form can put the message beside the right input. A problem is a code and
its params, never a sentence: :mod:`hotline.formats.problems` words it in the
reader's language.

Normalisation gives each value exactly one canonical form, so that
``validate(validate(x)) == validate(x)`` and two sides that mean the same thing
send the same bytes:

* text is stripped; ``tbd`` in any case becomes ``"tbd"`` where a field allows it;
* times become ``hotline.utc.format_utc`` strings (``2026-11-23T14:00:00.000000Z``),
  accepted with or without a fraction of a second;
* numbers are ``int`` when whole, else ``float``; booleans are never numbers;
* enumerated values are lower-case, with ``_`` and spaces read as ``-``;
* a missing or ``null`` optional field is left out, except that an optional
  list that may be empty becomes ``[]``.

The same field objects describe themselves as JSON (:meth:`Field.describe`)
for the console to generate a form from, so the form and the validator cannot
disagree.
"""

from __future__ import annotations

import math
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar, Final, Literal

from hotline.errors import NotificationInvalid
from hotline.formats.i18n import LABELS, VALUES
from hotline.formats.problems import CODE_DESCRIPTIONS, Problem, ProblemValue
from hotline.utc import format_utc, parse_utc

__all__ = [
    "INVALID",
    "BooleanField",
    "ChoiceField",
    "CodeField",
    "EnumField",
    "Field",
    "IntegerField",
    "ListField",
    "NumberField",
    "Problems",
    "RecordField",
    "TextField",
    "TimeField",
    "check_definition",
    "check_fields",
    "child_path",
    "item_path",
    "window_field",
]


class _Invalid(Enum):
    INVALID = "invalid"


#: What :meth:`Field.check` returns for a value it refused (after adding its problems).
INVALID: Final = _Invalid.INVALID

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_UTC_TEXT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,6}))?Z"
)
# Bidirectional overrides, embeddings and isolates can make a text display
# differently from what it says ("Trojan Source"); a notice must read as it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters, lone surrogates (not encodable as UTF-8) and line or
# paragraph separators (they would break a one-line summary).
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Whole floats at most this large are exactly integers, so normalising them to
# int loses nothing.
_EXACT_FLOAT_INT = 2**53


def child_path(path: str, name: str) -> str:
    """The path of field ``name`` inside the record at ``path``."""
    return f"{path}.{name}" if path else name


def item_path(path: str, index: int) -> str:
    """The path of item ``index`` of the list at ``path``."""
    return f"{path}[{index}]"


class Problems:
    """The problems validation found so far, each a :class:`Problem`, in the order found."""

    __slots__ = ("_found",)

    def __init__(self) -> None:
        self._found: list[Problem] = []

    def add(self, path: str, code: str, **params: ProblemValue) -> None:
        """Note problem ``code`` on ``path``, with the params its texts need."""
        self._found.append(Problem(path, code, params))

    @property
    def found(self) -> tuple[Problem, ...]:
        return tuple(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def raise_if_any(self, format_code: str = "") -> None:
        """Raise :class:`~hotline.errors.NotificationInvalid` listing them all, if there are any."""
        if self._found:
            raise NotificationInvalid(self._found, format_code=format_code)


@dataclass(frozen=True, slots=True, kw_only=True)
class Field(ABC):
    """One named value in a format: how to check it, and how to describe it to a form."""

    #: The key in the data (lower-case, digits and ``_``).
    name: str
    #: The key of its label in :data:`~hotline.formats.i18n.LABELS`; the name by default.
    label: str = ""
    required: bool = True
    #: The type name :meth:`describe` gives.
    kind: ClassVar[str] = "field"

    def __post_init__(self) -> None:
        # Field definitions are constants of this package; a bad one is our bug,
        # caught the moment the module defining it is imported.
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"field name {self.name!r} is not lower_case")
        if self.label_key not in LABELS:
            raise ValueError(f"field {self.name!r}: no label {self.label_key!r} in LABELS")

    @property
    def label_key(self) -> str:
        return self.label or self.name

    @abstractmethod
    def check(self, value: Any, path: str, problems: Problems) -> Any:
        """``value`` normalised, or :data:`INVALID` after adding to ``problems``.

        ``value`` is never None here: the record holding the field decides what
        a missing value means.
        """

    def describe(self) -> dict[str, Any]:
        """A JSON-able description of the field, for generating a form."""
        return {
            "name": self.name,
            "type": self.kind,
            "required": self.required,
            "labels": dict(LABELS[self.label_key]),
            **self._details(),
        }

    def _details(self) -> dict[str, Any]:
        return {}


def _forbidden_character(text: str, *, multiline: bool) -> str | None:
    for char in text:
        if char == "\n" and multiline:
            continue
        if char in _BIDI_CONTROLS or unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            return char
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class TextField(Field):
    """Free text, stripped; one line unless ``multiline``; optionally the literal ``tbd``."""

    kind: ClassVar[str] = "text"
    max_length: int = 200
    multiline: bool = False
    #: Whether ``tbd`` ("to be decided", any case) is a value of its own.
    tbd: bool = False

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        if not isinstance(value, str):
            problems.add(path, "not_text")
            return INVALID
        text = value.replace("\r\n", "\n").replace("\r", "\n") if self.multiline else value
        text = text.strip()
        if not text:
            problems.add(path, "empty")
            return INVALID
        if self.tbd and text.lower() == "tbd":
            return "tbd"
        bad = _forbidden_character(text, multiline=self.multiline)
        if bad is not None:
            problems.add(path, "forbidden_character", char=f"U+{ord(bad):04X}")
            return INVALID
        if len(text) > self.max_length:
            problems.add(path, "too_long", max_length=self.max_length)
            return INVALID
        return text

    def _details(self) -> dict[str, Any]:
        return {"max_length": self.max_length, "multiline": self.multiline, "tbd": self.tbd}


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeField(Field):
    """A short code of ASCII characters matching ``pattern`` after mapping to one case."""

    kind: ClassVar[str] = "code"
    #: A regular expression the whole normalised value must match.
    pattern: str
    case: Literal["upper", "lower"]
    #: What the pattern asks for: a key of :data:`~hotline.formats.problems.CODE_DESCRIPTIONS`,
    #: which words it in every language for the problem message.
    description: str

    def __post_init__(self) -> None:
        Field.__post_init__(self)
        if self.description not in CODE_DESCRIPTIONS:
            raise ValueError(
                f"field {self.name!r}: no description {self.description!r} in CODE_DESCRIPTIONS"
            )

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        if not isinstance(value, str):
            problems.add(path, "code_not_text", description=self.description)
            return INVALID
        # isascii() first: "ß".upper() is "SS", and non-ASCII letters must not
        # become ASCII ones on the way.
        text = value.strip()
        code = text.upper() if self.case == "upper" else text.lower()
        if not text.isascii() or not re.fullmatch(self.pattern, code):
            problems.add(path, "bad_code", description=self.description)
            return INVALID
        return code

    def _details(self) -> dict[str, Any]:
        return {"pattern": f"^{self.pattern}$", "case": self.case}


@dataclass(frozen=True, slots=True, kw_only=True)
class IntegerField(Field):
    """A whole number within ``minimum``..``maximum`` (a whole float like ``3.0`` counts)."""

    kind: ClassVar[str] = "integer"
    minimum: int | None = None
    maximum: int | None = None

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        number = _whole_number(value)
        if number is None:
            problems.add(path, "not_integer")
            return INVALID
        if self.minimum is not None and number < self.minimum:
            problems.add(path, "too_small", limit=self.minimum)
            return INVALID
        if self.maximum is not None and number > self.maximum:
            problems.add(path, "too_large", limit=self.maximum)
            return INVALID
        return number

    def _details(self) -> dict[str, Any]:
        return {"min": self.minimum, "max": self.maximum}


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):  # True is an int to Python, never a count to us
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class NumberField(Field):
    """A finite number within ``minimum``..``maximum``, in ``unit``; whole values become int."""

    kind: ClassVar[str] = "number"
    minimum: int | float | None = None
    maximum: int | float | None = None
    #: Whether the value must be strictly greater than ``minimum`` (a radius: > 0).
    exclusive_minimum: bool = False
    unit: str | None = None

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.add(path, "not_number")
            return INVALID
        if isinstance(value, float):
            if not math.isfinite(value):
                problems.add(path, "not_finite")
                return INVALID
            if value.is_integer() and abs(value) <= _EXACT_FLOAT_INT:
                value = int(value)
        if self.minimum is not None:
            if self.exclusive_minimum and value <= self.minimum:
                problems.add(path, "not_greater", limit=self.minimum)
                return INVALID
            if value < self.minimum:
                problems.add(path, "too_small", limit=self.minimum)
                return INVALID
        if self.maximum is not None and value > self.maximum:
            problems.add(path, "too_large", limit=self.maximum)
            return INVALID
        return value

    def _details(self) -> dict[str, Any]:
        return {
            "min": self.minimum,
            "max": self.maximum,
            "exclusive_min": self.exclusive_minimum,
            "unit": self.unit,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeField(Field):
    """A UTC time, canonical as ``format_utc`` writes it; optionally ``tbd``.

    ``after`` names a sibling time this one must be strictly later than (a
    window's end after its start); the enclosing record checks it.
    """

    kind: ClassVar[str] = "time"
    tbd: bool = False
    after: str | None = None

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        not_utc = "not_utc_time_or_tbd" if self.tbd else "not_utc_time"
        if isinstance(value, datetime):
            if value.tzinfo is None:
                problems.add(path, "naive_time_or_tbd" if self.tbd else "naive_time")
                return INVALID
            return format_utc(value)
        if not isinstance(value, str):
            problems.add(path, not_utc)
            return INVALID
        text = value.strip()
        if self.tbd and text.lower() == "tbd":
            return "tbd"
        match = _UTC_TEXT.fullmatch(text)
        if match is None:
            problems.add(path, not_utc)
            return INVALID
        canonical = f"{match[1]}.{(match[2] or '').ljust(6, '0')}Z"
        try:
            parse_utc(canonical)
        except ValueError:
            problems.add(path, "not_a_date", text=text)
            return INVALID
        return canonical

    def _details(self) -> dict[str, Any]:
        return {"tbd": self.tbd, "after": self.after}


@dataclass(frozen=True, slots=True, kw_only=True)
class EnumField(Field):
    """One of a closed set of lower-case values, each with a reading in :data:`VALUES`."""

    kind: ClassVar[str] = "enum"
    values: tuple[str, ...]
    #: The table in :data:`~hotline.formats.i18n.VALUES` that says how the values read.
    vocabulary: str

    def __post_init__(self) -> None:
        Field.__post_init__(self)
        unread = [v for v in self.values if v not in VALUES.get(self.vocabulary, {})]
        if unread:
            raise ValueError(f"field {self.name!r}: no reading for {unread} in VALUES")

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        if isinstance(value, str):
            word = value.strip().lower().replace("_", "-").replace(" ", "-")
            if word in self.values:
                return word
        problems.add(path, "not_one_of", values=self.values)
        return INVALID

    def _details(self) -> dict[str, Any]:
        return {
            "values": list(self.values),
            "value_labels": {v: dict(VALUES[self.vocabulary][v]) for v in self.values},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class BooleanField(Field):
    """True or false. A ``computed`` one is set by validation itself, not typed into a form."""

    kind: ClassVar[str] = "boolean"
    computed: bool = False

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        if not isinstance(value, bool):
            problems.add(path, "not_boolean")
            return INVALID
        return value

    def _details(self) -> dict[str, Any]:
        return {"computed": self.computed}


@dataclass(frozen=True, slots=True, kw_only=True)
class ListField(Field):
    """A list of ``item`` values, ``min_items``..``max_items`` long."""

    kind: ClassVar[str] = "list"
    item: Field
    min_items: int = 0
    max_items: int = 100

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        if not isinstance(value, list | tuple):
            problems.add(path, "not_list")
            return INVALID
        before = len(problems)
        if len(value) < self.min_items:
            problems.add(path, "too_few_items", count=self.min_items)
        elif len(value) > self.max_items:
            problems.add(path, "too_many_items", count=self.max_items)
        items = [self.item.check(v, item_path(path, i), problems) for i, v in enumerate(value)]
        return items if len(problems) == before else INVALID

    def _details(self) -> dict[str, Any]:
        return {
            "item": self.item.describe(),
            "min_items": self.min_items,
            "max_items": self.max_items,
        }


def check_fields(
    value: Any,
    path: str,
    problems: Problems,
    *,
    fields: tuple[Field, ...],
    exactly_one_of: tuple[tuple[str, ...], ...] = (),
    at_least_one_of: tuple[tuple[str, ...], ...] = (),
) -> Any:
    """Check a record's fields; the normalised fields that passed, or INVALID if not a mapping.

    The result holds every field that passed even when others did not, so that
    rules about several fields (a format's lead time) can still run and report
    their problems in the same pass.
    """
    names = tuple(f.name for f in fields)
    if not isinstance(value, Mapping):
        problems.add(path, "not_record", names=names)
        return INVALID
    for key in value:
        if key not in names:
            problems.add(child_path(path, str(key)), "unknown_field")
    result: dict[str, Any] = {}
    for field in fields:
        raw = value.get(field.name)
        if raw is None:
            if field.required:
                problems.add(child_path(path, field.name), "required")
            elif isinstance(field, ListField) and field.min_items == 0:
                result[field.name] = []
            continue
        checked = field.check(raw, child_path(path, field.name), problems)
        if checked is not INVALID:
            result[field.name] = checked
    for group in exactly_one_of:
        given = [name for name in group if value.get(name) is not None]
        if not given:
            problems.add(child_path(path, group[0]), "required_one_of", names=group)
        for name in given[1:]:
            problems.add(child_path(path, name), "only_one_of", names=group)
    for group in at_least_one_of:
        if all(value.get(name) is None for name in group):
            problems.add(child_path(path, group[0]), "at_least_one_of", names=group)
    for field in fields:
        if isinstance(field, TimeField) and field.after is not None:
            later, earlier = result.get(field.name, "tbd"), result.get(field.after, "tbd")
            # Canonical times are fixed-width, so they compare as text; a
            # missing or undecided one has nothing to compare.
            if "tbd" not in (later, earlier) and later <= earlier:
                problems.add(child_path(path, field.name), "not_later", name=field.after)
                del result[field.name]
    return result


def check_definition(fields: tuple[Field, ...], *groupings: tuple[tuple[str, ...], ...]) -> None:
    """Check a record's definition; ValueError if it is inconsistent.

    Field names must be distinct; groups must name optional fields the record
    has, and ``after`` a sibling it has. Definitions are this package's own
    constants, so a bad one fails when its module is imported.
    """
    names = {f.name for f in fields}
    if len(names) != len(fields):
        raise ValueError(f"two fields share a name in {[f.name for f in fields]}")
    for grouping in groupings:
        for group in grouping:
            if not set(group) <= names:
                raise ValueError(f"group {group} names fields that do not exist")
            if any(f.required for f in fields if f.name in group):
                raise ValueError(f"group {group}: its fields must be optional")
    for field in fields:
        if isinstance(field, TimeField) and field.after is not None and field.after not in names:
            raise ValueError(f"field {field.name!r}: no sibling {field.after!r} to follow")


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordField(Field):
    """A nested object of named ``fields`` (unknown keys are problems).

    ``exactly_one_of`` lists groups of optional fields of which exactly one must
    be given (a flight's area or corridor); ``at_least_one_of``, groups of which
    at least one must be (a place's name or coordinates).
    """

    kind: ClassVar[str] = "record"
    fields: tuple[Field, ...]
    exactly_one_of: tuple[tuple[str, ...], ...] = ()
    at_least_one_of: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        Field.__post_init__(self)
        check_definition(self.fields, self.exactly_one_of, self.at_least_one_of)

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        before = len(problems)
        result = check_fields(
            value,
            path,
            problems,
            fields=self.fields,
            exactly_one_of=self.exactly_one_of,
            at_least_one_of=self.at_least_one_of,
        )
        return result if len(problems) == before else INVALID

    def _details(self) -> dict[str, Any]:
        return {
            "fields": [f.describe() for f in self.fields],
            "exactly_one_of": [list(g) for g in self.exactly_one_of],
            "at_least_one_of": [list(g) for g in self.at_least_one_of],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceField(Field):
    """An object with exactly one key, naming which of the ``variants`` the value is.

    An area is ``{"name": …}``, ``{"polygon": […]}`` or ``{"circle": {…}}``.
    """

    kind: ClassVar[str] = "choice"
    variants: tuple[Field, ...]

    def check(self, value: Any, path: str, problems: Problems) -> Any:
        names = tuple(v.name for v in self.variants)
        if not isinstance(value, Mapping) or not value:
            problems.add(path, "not_choice", names=names)
            return INVALID
        known = [key for key in value if key in names]
        for key in value:
            if key not in names:
                problems.add(child_path(path, str(key)), "unknown_kind", names=names)
        if len(known) > 1:
            problems.add(path, "several_kinds", names=names)
        if len(known) != 1 or len(value) != 1:
            return INVALID
        (key,) = known
        variant = self.variants[names.index(key)]
        if value[key] is None:
            problems.add(child_path(path, key), "required")
            return INVALID
        checked = variant.check(value[key], child_path(path, key), problems)
        return INVALID if checked is INVALID else {key: checked}

    def _details(self) -> dict[str, Any]:
        return {"variants": [v.describe() for v in self.variants]}


def window_field(name: str = "window", *, label: str = "window") -> RecordField:
    """A time window ``{start, end}`` in UTC, the end strictly after the start."""
    return RecordField(
        name=name,
        label=label,
        fields=(TimeField(name="start"), TimeField(name="end", after="start")),
    )
