"""A SoftHSM2 token for tests: its own token directory, its own configuration, one PIN.

SoftHSM2 (Debian's ``softhsm2``) is a PKCS#11 module that keeps its tokens
in files; the configuration file named by ``SOFTHSM2_CONF`` says where. Each
test makes its own directory and configuration, so tests never see each
other's tokens or keys. :func:`token_or_skip` skips the calling test when
SoftHSM2 or python-pkcs11 is missing, unless ``CI`` is true or
``HOTLINE_REQUIRE_PKCS11`` is set: there a missing token is a failure, so CI
can never skip these tests.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PKCS11_REQUIRE_ENV",
    "SOFTHSM_MODULE",
    "USER_PIN",
    "SoftToken",
    "find_module",
    "token_or_skip",
]

PKCS11_REQUIRE_ENV = "HOTLINE_REQUIRE_PKCS11"
"""Set (to anything non-empty) to make a missing SoftHSM2 a failure instead of a skip."""

#: Where Debian's softhsm2 package puts the module (others: set HOTLINE_SOFTHSM_MODULE).
SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"

USER_PIN = "1234-5678"
SO_PIN = "8765-4321"


@dataclass(frozen=True, slots=True)
class SoftToken:
    """An initialised token: where its module is, its label, and the environment that finds it."""

    module: str
    label: str
    conf: Path
    pin_file: Path

    @property
    def env(self) -> dict[str, str]:
        """The variables a process needs to see this token (SoftHSM2 reads it at load)."""
        return {"SOFTHSM2_CONF": str(self.conf)}


def find_module() -> str | None:
    """The SoftHSM2 module and its tool, and python-pkcs11, or None if any is missing."""
    module = os.environ.get("HOTLINE_SOFTHSM_MODULE", SOFTHSM_MODULE)
    if not Path(module).is_file() or shutil.which("softhsm2-util") is None:
        return None
    if importlib.util.find_spec("pkcs11") is None:
        return None
    return module


def _required() -> bool:
    return bool(os.environ.get(PKCS11_REQUIRE_ENV)) or os.environ.get("CI", "").lower() == "true"


def token_or_skip(directory: Path, label: str = "hotline") -> SoftToken:
    """A fresh token in ``directory`` (its PIN in ``directory/pin``); skips the test if none can be."""
    import pytest

    module = find_module()
    if module is None:
        reason = "SoftHSM2 (apt-get install softhsm2) or python-pkcs11 is not installed"
        if _required():
            pytest.fail(f"{reason}, and {PKCS11_REQUIRE_ENV} or CI asks for the PKCS#11 tests")
        pytest.skip(reason)
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, mode=0o700)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    subprocess.run(
        [
            *("softhsm2-util", "--init-token", "--free", "--label", label),
            *("--pin", USER_PIN, "--so-pin", SO_PIN),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    pin_file = directory / "pin"
    pin_file.write_text(USER_PIN + "\n")
    pin_file.chmod(0o600)
    return SoftToken(module=module, label=label, conf=conf, pin_file=pin_file)
