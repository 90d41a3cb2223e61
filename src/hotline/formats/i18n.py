# ruff: noqa: RUF001, RUF002
# This module *is* the Russian and Indonesian text: Cyrillic letters that look
# like Latin ones, and typographic dashes, are meant.
"""The words of formatted notifications in English, Indonesian and Russian, and how values read.

A notification's data is authoritative and language-free; what a reader sees
is a *rendering* of it in their own language. Every word a rendering shows
comes from one of the tables here, keyed the same way in every language:

* :data:`LABELS`: field labels ("Aircraft type", "Jenis pesawat", "Тип воздушных судов");
* :data:`TITLES`: one title per format code;
* :data:`VALUES`: the reading of each enumerated value (weapon categories,
  meeting formats and states, units);
* :data:`PHRASES`: sentence templates with ``{placeholders}``;
* :data:`UNITS`: unit words by CLDR plural category, because Russian says
  "1 морская миля", "2 морские мили", "5 морских миль".

Keeping them as data (not gettext catalogues) keeps the package pure and lets
a test prove that no English word is left in an Indonesian or Russian
rendering. Dates and numbers are formatted with Babel's CLDR data, always in
UTC: "23 November 2026, 14:00 UTC", "23 November 2026, 14.00 UTC",
"23 ноября 2026 г., 14:00 UTC".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from hotline.errors import InvalidArgument
from hotline.utc import parse_utc

__all__ = [
    "LABELS",
    "LANGUAGES",
    "PHRASES",
    "TITLES",
    "UNITS",
    "VALUES",
    "Renderer",
    "check_language",
    "format_moment",
    "format_number",
]

#: The languages every notification renders in, English first (the envelope's ``text``).
LANGUAGES: Final = ("en", "id", "ru")

# British English writes the day first ("23 November 2026"), as hotline operators do.
_BABEL_LOCALES: Final = MappingProxyType({"en": "en_GB", "id": "id", "ru": "ru"})


def _freeze(table: dict[str, Any]) -> Any:
    """A read-only deep copy of a nested dict, so no caller can edit the tables."""
    return MappingProxyType(
        {key: _freeze(value) if isinstance(value, dict) else value for key, value in table.items()}
    )


def _t(en: str, id_: str, ru: str) -> dict[str, str]:
    return {"en": en, "id": id_, "ru": ru}


#: Field labels, by label key.
LABELS: Mapping[str, Mapping[str, str]] = _freeze(
    {
        "aircraft_type": _t("Aircraft type", "Jenis pesawat", "Тип воздушных судов"),
        "aircraft_count": _t("Number of aircraft", "Jumlah pesawat", "Количество воздушных судов"),
        "area": _t("Area", "Wilayah", "Район"),
        "area_name": _t("Area name", "Nama wilayah", "Название района"),
        "corridor": _t("Corridor", "Koridor", "Коридор"),
        "point": _t("Point", "Titik", "Точка"),
        "closest_approach_km": _t(
            "Closest approach to the border",
            "Jarak terdekat ke perbatasan",
            "Наименьшее расстояние до границы",
        ),
        "window": _t("Time window", "Rentang waktu", "Период"),
        "start": _t("Start", "Mulai", "Начало"),
        "end": _t("End", "Selesai", "Окончание"),
        "launch_window": _t(
            "Planned launch window",
            "Rentang waktu peluncuran yang direncanakan",
            "Планируемый период пуска",
        ),
        "launch_area": _t("Launch area", "Wilayah peluncuran", "Район пуска"),
        "impact_area": _t("Impact area", "Wilayah titik jatuh", "Район падения"),
        "late_notice": _t("Late notice", "Pemberitahuan terlambat", "Позднее уведомление"),
        "exercise_name": _t("Exercise name", "Nama latihan", "Название учений"),
        "forces": _t("Forces involved", "Pasukan yang terlibat", "Задействованные силы"),
        "personnel": _t("Personnel", "Jumlah personel", "Численность личного состава"),
        "proposer": _t("Proposed by", "Diusulkan oleh", "Инициатор"),
        "participants": _t("Participants", "Peserta", "Участники"),
        "participant": _t("Participant", "Peserta", "Участник"),
        "conditions": _t("Conditions", "Syarat", "Условия"),
        "condition": _t("Condition", "Syarat", "Условие"),
        "meeting_time": _t("Time", "Waktu", "Время"),
        "meeting_format": _t("Format", "Format", "Формат"),
        "meeting_place": _t("Place", "Tempat", "Место"),
        "proposal": _t("Proposal", "Usulan", "Предложение"),
        "meeting_state": _t("State", "Status", "Состояние"),
        "note": _t("Note", "Catatan", "Примечание"),
        "place": _t("Place", "Tempat", "Место"),
        "place_name": _t("Place name", "Nama tempat", "Название места"),
        "coordinates": _t("Coordinates", "Koordinat", "Координаты"),
        "lat": _t("Latitude", "Lintang", "Широта"),
        "lon": _t("Longitude", "Bujur", "Долгота"),
        "violation_time": _t("Time of the violation", "Waktu pelanggaran", "Время нарушения"),
        "weapon": _t("Weapon", "Jenis senjata", "Вид оружия"),
        "violation_count": _t("Number of violations", "Jumlah pelanggaran", "Количество нарушений"),
        "source": _t("Source", "Sumber", "Источник"),
        "word": _t("Code word", "Kata sandi", "Кодовое слово"),
        "number": _t("Number", "Nomor", "Номер"),
        "meaning": _t("Meaning", "Arti", "Значение"),
        "polygon": _t("Polygon", "Poligon", "Многоугольник"),
        "circle": _t("Circle", "Lingkaran", "Круг"),
        "centre": _t("Centre", "Pusat", "Центр"),
        "radius": _t("Radius", "Radius", "Радиус"),
        "unit": _t("Unit", "Satuan", "Единица измерения"),
    }
)

#: Each format's title, by format code.
TITLES: Mapping[str, Mapping[str, str]] = _freeze(
    {
        "flight": _t("Flight notification", "Pemberitahuan penerbangan", "Уведомление о полётах"),
        "launch": _t(
            "Ballistic missile launch notification",
            "Pemberitahuan peluncuran rudal balistik",
            "Уведомление о пуске баллистической ракеты",
        ),
        "exercise": _t(
            "Military exercise notification",
            "Pemberitahuan latihan militer",
            "Уведомление о военных учениях",
        ),
        "meeting": _t("Meeting proposal", "Usulan pertemuan", "Предложение о встрече"),
        "meeting-reply": _t(
            "Reply to a meeting proposal",
            "Jawaban atas usulan pertemuan",
            "Ответ на предложение о встрече",
        ),
        "ceasefire": _t(
            "Ceasefire violation report",
            "Laporan pelanggaran gencatan senjata",
            "Сообщение о нарушении режима прекращения огня",
        ),
        "codeword": _t("Code-word message", "Pesan kata sandi", "Сообщение с кодовым словом"),
    }
)

#: How each enumerated value reads, by vocabulary, then value.
VALUES: Mapping[str, Mapping[str, Mapping[str, str]]] = _freeze(
    {
        "weapon": {
            "artillery": _t("artillery", "artileri", "артиллерия"),
            "mortar": _t("mortar", "mortir", "миномёт"),
            "small-arms": _t("small arms", "senjata ringan", "стрелковое оружие"),
            "drone": _t("drone", "drone", "беспилотник"),
            "other": _t("other", "lainnya", "другое"),
        },
        "meeting_format": {
            "in-person": _t("in person", "tatap muka", "очная встреча"),
            "video": _t("video conference", "konferensi video", "видеоконференция"),
            "phone": _t("telephone", "telepon", "телефон"),
            "tbd": _t("to be decided", "akan ditentukan", "будет определено"),
        },
        "meeting_state": {
            "proposed": _t("proposed", "diusulkan", "предложена"),
            "agreed-in-principle": _t(
                "agreed in principle", "disetujui secara prinsip", "согласована в принципе"
            ),
            "scheduled": _t("scheduled", "dijadwalkan", "назначена"),
            "held": _t("held", "telah berlangsung", "состоялась"),
            "cancelled": _t("cancelled", "dibatalkan", "отменена"),
        },
        "unit": {
            "km": _t("kilometres", "kilometer", "километры"),
            "nm": _t("nautical miles", "mil laut", "морские мили"),
        },
    }
)

#: Sentence templates and short words, by key; ``{name}`` marks a placeholder.
PHRASES: Mapping[str, Mapping[str, str]] = _freeze(
    {
        "none": _t("none", "tidak ada", "нет"),
        "tbd": _t("to be decided", "akan ditentukan", "будет определено"),
        "north": _t("N", "LU", "с. ш."),
        "south": _t("S", "LS", "ю. ш."),
        "east": _t("E", "BT", "в. д."),
        "west": _t("W", "BB", "з. д."),
        "coordinates": _t("{lat}, {lon}", "{lat} {lon}", "{lat} {lon}"),
        "polygon": _t("polygon: {points}", "poligon: {points}", "многоугольник: {points}"),
        "circle": _t(
            "circle, centre {centre}, radius {radius}",
            "lingkaran, pusat {centre}, radius {radius}",
            "круг с центром {centre}, радиус {radius}",
        ),
        "window": _t("{start} – {end}", "{start} – {end}", "{start} – {end}"),
        "times": _t("{count} × {what}", "{count} × {what}", "{count} × {what}"),
        "late_notice": _t(
            "LATE NOTICE: given less than 24 h before the launch window",
            "PEMBERITAHUAN TERLAMBAT: disampaikan kurang dari 24 jam sebelum rentang waktu peluncuran",
            "ПОЗДНЕЕ УВЕДОМЛЕНИЕ: направлено менее чем за 24 ч до начала периода пуска",
        ),
        "late_notice_short": _t("LATE NOTICE", "PEMBERITAHUAN TERLAMBAT", "ПОЗДНЕЕ УВЕДОМЛЕНИЕ"),
        "not_in_codebook": _t(
            "(not in the local codebook)",
            "(tidak ada dalam buku kode lokal)",
            "(нет в местной кодовой книге)",
        ),
    }
)

#: Unit words after a number, by unit, language, then CLDR plural category
#: ("other" is always present; abbreviations need no other category).
UNITS: Mapping[str, Mapping[str, Mapping[str, str]]] = _freeze(
    {
        "km": {"en": {"other": "km"}, "id": {"other": "km"}, "ru": {"other": "км"}},
        "nm": {
            "en": {"other": "NM"},
            "id": {"other": "mil laut"},
            "ru": {
                "one": "морская миля",
                "few": "морские мили",
                "many": "морских миль",
                "other": "морской мили",
            },
        },
    }
)


def check_language(language: object) -> str:
    """``language`` if it is one of :data:`LANGUAGES`, else InvalidArgument naming them."""
    if isinstance(language, str) and language in LANGUAGES:
        return language
    raise InvalidArgument(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")


def format_number(value: int | float, language: str) -> str:
    """``value`` as a reader of ``language`` writes it ("12,345.5", "12.345,5", "12 345,5").

    Every digit the data holds is shown: the rendering may not round away what
    the structured data says.
    """
    return format_decimal(
        value, locale=_BABEL_LOCALES[check_language(language)], decimal_quantization=False
    )


def format_moment(moment: datetime | str, language: str) -> str:
    """A UTC moment for a reader of ``language``: "23 November 2026, 14:00 UTC" in English.

    ``moment`` is an aware datetime or a canonical UTC string
    (``2026-11-23T14:00:00.000000Z``). Seconds are shown only when not zero;
    fractions of a second are never shown (the data keeps them).
    """
    locale = _BABEL_LOCALES[check_language(language)]
    when = parse_utc(moment) if isinstance(moment, str) else moment.astimezone(UTC)
    day = format_date(when, "long", locale=locale)
    clock = format_time(when, "short" if when.second == 0 else "medium", tzinfo=UTC, locale=locale)
    return f"{day}, {clock} UTC"


@dataclass(frozen=True, slots=True)
class Renderer:
    """Everything a format needs to write its data in one language.

    Format modules build their renderings only from these methods, so every word
    they show comes from the tables above.
    """

    language: str

    def __post_init__(self) -> None:
        check_language(self.language)

    def label(self, key: str) -> str:
        return LABELS[key][self.language]

    def title(self, code: str) -> str:
        return TITLES[code][self.language]

    def value(self, vocabulary: str, value: str) -> str:
        return VALUES[vocabulary][value][self.language]

    def phrase(self, key: str, **values: str) -> str:
        return PHRASES[key][self.language].format(**values)

    def number(self, value: int | float) -> str:
        return format_number(value, self.language)

    def quantity(self, value: int | float, unit: str) -> str:
        """A number and its unit word, in the plural form the number takes."""
        forms = UNITS[unit][self.language]
        category = Locale.parse(_BABEL_LOCALES[self.language]).plural_form(value)
        return f"{self.number(value)} {forms.get(category, forms['other'])}"

    def moment(self, moment: datetime | str) -> str:
        return format_moment(moment, self.language)

    def moment_or_tbd(self, moment: str) -> str:
        """A canonical UTC string, or "to be decided" for the literal ``tbd``."""
        return self.phrase("tbd") if moment == "tbd" else self.moment(moment)

    def window(self, window: Mapping[str, str]) -> str:
        return self.phrase(
            "window", start=self.moment(window["start"]), end=self.moment(window["end"])
        )

    def line(self, key: str, text: str) -> str:
        """``Label: text``; a text of several lines continues indented under the label."""
        return f"{self.label(key)}: " + text.replace("\n", "\n  ")

    def items(self, key: str, texts: list[str]) -> list[str]:
        """A labelled numbered list, or ``Label: none`` for an empty one."""
        if not texts:
            return [self.line(key, self.phrase("none"))]
        return [f"{self.label(key)}:", *(f"  {n}. {text}" for n, text in enumerate(texts, 1))]
