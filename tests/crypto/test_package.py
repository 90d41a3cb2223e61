"""The crypto package as a whole: its exports, and that it stays a pure layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import hotline.crypto

PACKAGE_DIR = Path(hotline.crypto.__file__).resolve().parent
MODULES = sorted(p for p in PACKAGE_DIR.glob("*.py") if p.name != "__init__.py")

# Layer 1 may import the standard library's pure parts, cryptography, PyNaCl (Ed25519), cbor2,
# and the two hotline modules below it. No I/O, clock or global randomness
# modules (os is allowed for Identity.save/load and the os.urandom default).
ALLOWED_TOP_LEVEL = {
    "__future__",
    "argon2",  # sealed.py: Argon2id, for secrets sealed under a passphrase
    "base64",
    "binascii",
    "cbor2",
    "collections",
    "cryptography",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "hashlib",
    "hmac",
    "ipaddress",
    "json",
    "nacl",
    "pkcs11",  # pkcs11.py: python-pkcs11, imported only when a signing key is in a token
    "threading",  # pkcs11.py: one PKCS#11 session, signed on by one thread at a time
    "os",
    "pathlib",
    "re",
    "struct",
    "typing",
    "unicodedata",
}
ALLOWED_HOTLINE = {"hotline.errors", "hotline.utc"}


def test_all_is_sorted_and_complete() -> None:
    exported = hotline.crypto.__all__
    assert exported == sorted(exported)
    assert len(set(exported)) == len(exported)
    for name in exported:
        assert hasattr(hotline.crypto, name), name
    for path in MODULES:
        if path.name.startswith("_"):
            continue
        module = __import__(f"hotline.crypto.{path.stem}", fromlist=["__all__"])
        missing = set(module.__all__) - set(exported)
        assert not missing, f"{path.name} exports {missing} but hotline.crypto does not"


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


def test_imports_stay_within_layer_one() -> None:
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
                    assert name.startswith("hotline.crypto") or name in ALLOWED_HOTLINE, (
                        f"{path.name} imports {name}"
                    )
                else:
                    assert name.split(".")[0] in ALLOWED_TOP_LEVEL, f"{path.name} imports {name}"


def test_importing_pulls_in_no_io_machinery() -> None:
    code = (
        "import sys, hotline.crypto\n"
        "print(','.join(m for m in ('asyncio', 'ssl', 'sqlite3') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
