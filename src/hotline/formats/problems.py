# ruff: noqa: RUF001
# This module *is* the Russian and Indonesian text of every problem: Cyrillic
# letters that look like Latin ones, and typographic dashes, are meant.
"""Validation problems as data, and every problem's wording in English, Indonesian and Russian.

Validation never writes a sentence. It reports each problem as a
:class:`Problem`: the field's ``path`` (``"window.start"``,
``"corridor[2].lat"``; ``""`` is the data as a whole), a stable ``code``
(``"required"``, ``"too_small"``, ``"late_notice"``…) and the ``params`` the
sentence needs (``{"limit": 1}``). A reader's language is applied only when
the problem is shown, by :func:`render_problem`, from :data:`PROBLEM_TEXTS`:
the CLI and the control socket read English, a console operator in Moscow
reads "не меньше 1" beside the field. Programs match on the code, never on the
English.

A code's params are exactly the ``{placeholders}`` of its texts, the same in
every language; a :class:`Problem` whose params do not fit its code's texts
cannot be made, so every problem validation raises can be shown in every
language. Param values are text, numbers (written as Python writes them,
``-90``, ``0.5``, in every language: a limit is a value to type, not prose)
or tuples of names (joined with ", "). A ``description`` param names an entry
of :data:`CODE_DESCRIPTIONS`, read in the reader's language.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from hotline.errors import FieldProblem
from hotline.formats.i18n import LANGUAGES, check_language

__all__ = [
    "CODE_DESCRIPTIONS",
    "PROBLEM_TEXTS",
    "Problem",
    "ProblemValue",
    "problem_json",
    "render_problem",
]

#: What a param may hold: text, a number, or names (tuples, so a problem is hashable).
ProblemValue = str | int | float | tuple[str, ...]

_UTC = "2026-11-23T14:00:00Z"


def _t(en: str, id_: str, ru: str) -> Mapping[str, str]:
    return MappingProxyType({"en": en, "id": id_, "ru": ru})


#: Each problem code's text in every language; ``{name}`` marks a param.
PROBLEM_TEXTS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        # -- any field, and records ----------------------------------------------
        "required": _t("required", "wajib diisi", "обязательно"),
        "unknown_field": _t("unknown field", "kolom tidak dikenal", "неизвестное поле"),
        "not_record": _t(
            "must be an object with the fields {names}",
            "harus berisi kolom {names}",
            "должно содержать поля {names}",
        ),
        "required_one_of": _t(
            "required: give one of {names}",
            "wajib: isi salah satu dari {names}",
            "обязательно: укажите одно из: {names}",
        ),
        "only_one_of": _t(
            "give only one of {names}",
            "isi hanya salah satu dari: {names}",
            "укажите только одно из: {names}",
        ),
        "at_least_one_of": _t(
            "give at least one of {names}",
            "isi setidaknya salah satu dari {names}",
            "укажите хотя бы одно из: {names}",
        ),
        # -- text and codes ------------------------------------------------------
        "not_text": _t("must be text", "harus berupa teks", "должно быть текстом"),
        "empty": _t("must not be empty", "tidak boleh kosong", "не должно быть пустым"),
        "forbidden_character": _t(
            "must not contain control or text-direction characters ({char})",
            "tidak boleh berisi karakter kendali atau pengarah teks ({char})",
            "не должно содержать управляющих символов или символов направления текста ({char})",
        ),
        "too_long": _t(
            "must be at most {max_length} characters",
            "maksimal {max_length} karakter",
            "не длиннее {max_length} символов",
        ),
        "code_not_text": _t(
            "must be text: {description}",
            "harus berupa teks: {description}",
            "должно быть текстом: {description}",
        ),
        "bad_code": _t(
            "must be {description}", "harus berupa {description}", "должно быть {description}"
        ),
        # -- numbers -------------------------------------------------------------
        "not_integer": _t(
            "must be a whole number", "harus berupa bilangan bulat", "должно быть целым числом"
        ),
        "not_number": _t("must be a number", "harus berupa angka", "должно быть числом"),
        "not_finite": _t(
            "must be a finite number", "harus berupa bilangan hingga", "должно быть конечным числом"
        ),
        "too_small": _t("must be at least {limit}", "minimal {limit}", "не меньше {limit}"),
        "too_large": _t("must be at most {limit}", "maksimal {limit}", "не больше {limit}"),
        "not_greater": _t(
            "must be greater than {limit}",
            "harus lebih besar dari {limit}",
            "должно быть больше {limit}",
        ),
        # -- times ---------------------------------------------------------------
        "not_utc_time": _t(
            f"must be a UTC time like {_UTC}",
            f"harus berupa waktu UTC seperti {_UTC}",
            f"должно быть временем UTC, например {_UTC}",
        ),
        "not_utc_time_or_tbd": _t(
            f"must be a UTC time like {_UTC} or tbd",
            f"harus berupa waktu UTC seperti {_UTC}, atau akan ditentukan",
            f"должно быть временем UTC, например {_UTC}, или «будет определено»",
        ),
        "naive_time": _t(
            f"must be timezone-aware: a UTC time like {_UTC}",
            f"harus memiliki zona waktu: waktu UTC seperti {_UTC}",
            f"должно быть с часовым поясом: время UTC, например {_UTC}",
        ),
        "naive_time_or_tbd": _t(
            f"must be timezone-aware: a UTC time like {_UTC} or tbd",
            f"harus memiliki zona waktu: waktu UTC seperti {_UTC}, atau akan ditentukan",
            f"должно быть с часовым поясом: время UTC, например {_UTC}, или «будет определено»",
        ),
        "not_a_date": _t(
            "is not a real date and time: {text}",
            "bukan tanggal dan waktu yang valid: {text}",
            "такой даты и времени не существует: {text}",
        ),
        "not_later": _t(
            "must be later than {name}",
            "harus lebih lambat dari {name}",
            "должно быть позже, чем {name}",
        ),
        # -- choices, booleans, lists, areas -------------------------------------
        "not_one_of": _t(
            "must be one of: {values}",
            "harus salah satu dari: {values}",
            "должно быть одним из: {values}",
        ),
        "not_boolean": _t(
            "must be true or false", "harus benar atau salah", "должно быть «да» или «нет»"
        ),
        "not_list": _t("must be a list", "harus berupa daftar", "должно быть списком"),
        "too_few_items": _t(
            "must have at least {count} items",
            "harus berisi minimal {count} butir",
            "должно содержать не менее {count} элементов",
        ),
        "too_many_items": _t(
            "must have at most {count} items",
            "harus berisi maksimal {count} butir",
            "должно содержать не более {count} элементов",
        ),
        "not_choice": _t(
            "must be an object with one of: {names}",
            "harus berisi salah satu dari: {names}",
            "должно содержать одно из: {names}",
        ),
        "unknown_kind": _t(
            "unknown kind; expected one of: {names}",
            "jenis tidak dikenal; yang diharapkan salah satu dari: {names}",
            "неизвестный вид; ожидается одно из: {names}",
        ),
        "several_kinds": _t(
            "must have only one of: {names}",
            "isi hanya salah satu dari: {names}",
            "укажите только одно из: {names}",
        ),
        # -- launch notices ------------------------------------------------------
        "late_notice": _t(
            "less than 24 h before the launch window: needs the explicit late-notice override",
            "kurang dari 24 jam sebelum rentang waktu peluncuran: kirim hanya dengan "
            "persetujuan pemberitahuan terlambat yang eksplisit",
            "менее чем за 24 часа до периода пуска: отправка только с явной отметкой "
            "о позднем уведомлении",
        ),
        # -- meetings ------------------------------------------------------------
        "scheduled_needs": _t(
            "a scheduled meeting needs a {name}, not tbd",
            "pertemuan yang dijadwalkan memerlukan {name} yang sudah ditentukan",
            "для назначенной встречи {name} должно быть определено",
        ),
        "not_meeting_state": _t(
            "must be a meeting state ({states}), not {value}",
            "harus berupa status pertemuan ({states}), bukan {value}",
            "должно быть состоянием встречи ({states}), а не {value}",
        ),
        "bad_transition": _t(
            "a {state} meeting cannot become {target}; it can become {allowed}",
            "pertemuan berstatus {state} tidak dapat menjadi {target}; yang mungkin: {allowed}",
            "встреча в состоянии {state} не может перейти в {target}; возможно: {allowed}",
        ),
        "final_state": _t(
            "a {state} meeting cannot become {target}; it can become nothing (it is final)",
            "pertemuan berstatus {state} tidak dapat menjadi {target}; statusnya sudah final",
            "встреча в состоянии {state} не может перейти в {target}; это конечное состояние",
        ),
        "no_such_proposal": _t(
            "no meeting proposal with this id and peer",
            "tidak ada usulan pertemuan dengan id dan mitra ini",
            "нет предложения о встрече с таким идентификатором и стороной",
        ),
        # -- a received body -----------------------------------------------------
        "body_not_object": _t(
            "a notification body must be an object",
            "isi pemberitahuan harus berupa objek",
            "тело уведомления должно быть объектом",
        ),
        "body_no_format": _t(
            "required: the format's code", "wajib: kode format", "обязательно: код формата"
        ),
        "body_no_version": _t(
            "required: the format's version, a whole number",
            "wajib: versi format, bilangan bulat",
            "обязательно: версия формата, целое число",
        ),
        "body_no_data": _t(
            "required: the notification's data, an object",
            "wajib: data pemberitahuan, berupa objek",
            "обязательно: данные уведомления, объект",
        ),
    }
)

#: What a code field asks for, by key (a CodeField's ``description``), in every
#: language, worded to follow "must be" in each.
CODE_DESCRIPTIONS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "code_word": _t(
            "a code word of 1 to 32 letters A-Z",
            "kata sandi 1 sampai 32 huruf A-Z",
            "кодовым словом из 1–32 латинских букв A-Z",
        ),
        "message_id": _t(
            "the proposal's message id: 32 hexadecimal digits",
            "id pesan usulan: 32 digit heksadesimal",
            "идентификатором сообщения с предложением: 32 шестнадцатеричные цифры",
        ),
    }
)


def _placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


#: Each code's params, read from its English text (a test holds the other languages to it).
_PARAMS: Final = MappingProxyType(
    {code: _placeholders(texts["en"]) for code, texts in PROBLEM_TEXTS.items()}
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a notification: where (``path``), what (``code``), and its values.

    Refused when made if the code is unknown or the params are not exactly the
    ones its texts need, so that a problem always renders in every language.
    """

    path: str
    code: str
    params: Mapping[str, ProblemValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        wanted = _PARAMS.get(self.code)
        if wanted is None:
            raise ValueError(f"unknown problem code {self.code!r}")
        if set(self.params) != wanted:
            raise ValueError(
                f"problem {self.code!r} takes params {sorted(wanted)}, not {sorted(self.params)}"
            )
        description = self.params.get("description")
        if description is not None and description not in CODE_DESCRIPTIONS:
            raise ValueError(f"no code description {description!r} in CODE_DESCRIPTIONS")
        frozen = {
            name: tuple(value) if isinstance(value, list) else value
            for name, value in self.params.items()
        }
        object.__setattr__(self, "params", MappingProxyType(frozen))

    def __hash__(self) -> int:
        return hash((self.path, self.code, tuple(sorted(self.params.items()))))

    @property
    def message(self) -> str:
        """The problem in English: what the CLI, the control socket and logs show."""
        return render_problem(self, "en")


def _param_text(name: str, value: object, language: str) -> str:
    if name == "description" and isinstance(value, str):
        return CODE_DESCRIPTIONS[value][language]
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)


def render_problem(problem: FieldProblem, language: str) -> str:
    """``problem`` as a sentence in ``language`` (ConfigError for a language hotline lacks)."""
    template = PROBLEM_TEXTS[problem.code][check_language(language)]
    return template.format_map(
        {name: _param_text(name, value, language) for name, value in problem.params.items()}
    )


def problem_json(problem: FieldProblem, language: str = "en") -> dict[str, Any]:
    """``{"path", "code", "params", "message"}`` for an API, the message in ``language``."""
    return {
        "path": problem.path,
        "code": problem.code,
        "params": {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in problem.params.items()
        },
        "message": render_problem(problem, language),
    }


def _check_tables() -> None:
    # The tables are this package's constants: a gap is our bug, caught at import.
    for code, texts in PROBLEM_TEXTS.items():
        for language in LANGUAGES:
            if language not in texts:
                raise ValueError(f"problem {code!r}: no text in {language!r}")
            if _placeholders(texts[language]) != _PARAMS[code]:
                raise ValueError(f"problem {code!r}: the {language!r} text has other params")
    for key, descriptions in CODE_DESCRIPTIONS.items():
        if set(descriptions) != set(LANGUAGES):
            raise ValueError(f"code description {key!r}: not in every language")


_check_tables()
