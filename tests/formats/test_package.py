"""The formats package as a whole: its exports, the house rules, and that it stays pure."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hotline.formats

PACKAGE_DIR = Path(hotline.formats.__file__).resolve().parent
MODULES = sorted(p for p in PACKAGE_DIR.glob("*.py") if p.name != "__init__.py")

# Pure: the standard library's pure parts, Babel (CLDR dates, numbers, plural
# rules), and the two hotline modules below every layer. No I/O, no clock, no
# randomness: "now" is always a parameter.
ALLOWED_TOP_LEVEL = {
    "__future__",
    "abc",
    "babel",
    "collections",
    "copy",
    "dataclasses",
    "datetime",
    "enum",
    "json",
    "math",
    "re",
    "string",
    "types",
    "typing",
    "unicodedata",
}
ALLOWED_HOTLINE = {"hotline.errors", "hotline.utc", "hotline.statetable"}


def test_all_is_sorted_and_complete() -> None:
    exported = hotline.formats.__all__
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert hasattr(hotline.formats, name), name
    for path in MODULES:
        module = __import__(f"hotline.formats.{path.stem}", fromlist=["__all__"])
        missing = set(module.__all__) - set(exported)
        assert not missing, f"{path.name} exports {missing} but hotline.formats does not"


def test_modules_follow_the_house_rules() -> None:
    for path in [*MODULES, PACKAGE_DIR / "__init__.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.name} has no module docstring"
        first_import = next(n for n in tree.body if isinstance(n, ast.ImportFrom | ast.Import))
        assert isinstance(first_import, ast.ImportFrom)
        assert first_import.module == "__future__", path.name
        assert any(
            isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in n.targets)
            for n in tree.body
        ), f"{path.name} has no __all__"


def test_modules_are_one_concept_sized() -> None:
    for path in MODULES:
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert 80 <= lines <= 700, f"{path.name} has {lines} lines"


def test_imports_stay_pure() -> None:
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.startswith("hotline."):
                    assert name.startswith("hotline.formats") or name in ALLOWED_HOTLINE, (
                        f"{path.name} imports {name}"
                    )
                else:
                    assert name.split(".")[0] in ALLOWED_TOP_LEVEL, f"{path.name} imports {name}"


def test_importing_pulls_in_no_io_machinery() -> None:
    # Babel itself loads threading and time (for its locale cache lock); the
    # check is that nothing here brings in networking, storage or asyncio.
    code = (
        "import sys, hotline.formats\n"
        "bad = ('asyncio', 'ssl', 'socket', 'sqlite3', 'selectors', 'random', 'secrets')\n"
        "print(','.join(m for m in bad if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
