"""``hotline formats [CODE] [--json] [--language L]``: the notification formats and their fields."""

from __future__ import annotations

import argparse
from typing import Any

from hotline.cli._common import Verbs, print_json
from hotline.formats import FORMATS, get_format

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("formats", help="list the notification formats and their fields")
    parser.add_argument("code", nargs="?", metavar="CODE", help="one format's fields in full")
    parser.add_argument("--json", action="store_true", help="print the schema(s) as JSON")
    parser.add_argument("--language", default="en", choices=["en", "id", "ru"])
    parser.set_defaults(handler=run)


def _fields(fields: list[dict[str, Any]], language: str, indent: str) -> None:
    for field in fields:
        label = field.get("labels", {}).get(language) or field.get("name")
        kind = field.get("type", "")
        extra = []
        if field.get("values"):
            extra.append("one of " + ", ".join(map(str, field["values"])))
        if field.get("tbd"):
            extra.append('or "tbd"')
        if field.get("unit"):
            extra.append(str(field["unit"]))
        for bound in ("min", "max"):
            if field.get(bound) is not None:
                extra.append(f"{bound} {field[bound]}")
        required = "" if field.get("required", True) else " (optional)"
        detail = f"  [{'; '.join(extra)}]" if extra else ""
        print(f"{indent}{field.get('name')}: {kind}{required} — {label}{detail}")
        nested = list(field.get("fields") or [])
        if isinstance(field.get("item"), dict):
            nested.append(field["item"])
        _fields(nested, language, indent + "    ")


def run(args: argparse.Namespace) -> int:
    codes = [args.code] if args.code else sorted(FORMATS)
    schemas = [get_format(code).schema() for code in codes]
    if args.json:
        print_json(schemas if not args.code else schemas[0])
        return 0
    for schema in schemas:
        title = schema.get("titles", {}).get(args.language) or schema.get("code")
        print(f"{schema['code']} v{schema['version']}: {title}")
        if args.code:
            _fields(schema.get("fields", []), args.language, "    ")
    if not args.code:
        print("details: hotline formats CODE")
    return 0
