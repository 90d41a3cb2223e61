"""Where a terminal's passphrase comes from: a file named on the command line, the environment, systemd.

The passphrase that seals the private keys (docs/keys.md) is never taken on
the command line itself (it would show in ``ps`` and in shell history) nor
from an environment variable's value (inherited by every child, readable in
``/proc/PID/environ``); always from a file, looked for in this order:

1. ``--passphrase-file F`` (``hotline init`` and ``hotline run``);
2. the file ``$HOTLINE_PASSPHRASE_FILE`` names (every verb that opens the keys);
3. ``$CREDENTIALS_DIRECTORY/passphrase``: systemd's ``LoadCredential=passphrase:…``
   (or ``LoadCredentialEncrypted=``), which hands a service the file in a
   private, memory-backed directory.

The file's content is the passphrase, less one final newline (``echo`` adds
one). The first source present is used; a source that is named but cannot be
read is an error, not a reason to try the next.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hotline.errors import PassphraseMissing

__all__ = [
    "CREDENTIAL_NAME",
    "PASSPHRASE_ENV",
    "Passphrase",
    "find_passphrase",
    "passphrase_missing",
    "read_passphrase_file",
]

PASSPHRASE_ENV = "HOTLINE_PASSPHRASE_FILE"  # noqa: S105 - the variable's name, not a secret
#: The systemd credential's name: ``LoadCredential=passphrase:/etc/hotline/PARTY.passphrase``.
CREDENTIAL_NAME = "passphrase"


@dataclass(frozen=True, slots=True)
class Passphrase:
    """A passphrase and where it came from (for error messages, never the secret)."""

    secret: bytes = field(repr=False)
    source: str


def read_passphrase_file(path: Path, *, source: str | None = None) -> Passphrase:
    """The passphrase in ``path``, less one final newline; :class:`PassphraseMissing` if unusable."""
    source = source or f"--passphrase-file {path}"
    try:
        secret = Path(path).read_bytes()
    except OSError as exc:
        raise PassphraseMissing(
            f"cannot read the passphrase ({source}): {exc.strerror or exc}"
        ) from exc
    if secret.endswith(b"\r\n"):
        secret = secret[:-2]
    elif secret.endswith(b"\n"):
        secret = secret[:-1]
    if not secret:
        raise PassphraseMissing(f"the passphrase file is empty ({source})")
    return Passphrase(secret=secret, source=source)


def find_passphrase(
    passphrase_file: Path | None = None, *, environ: Mapping[str, str] | None = None
) -> Passphrase | None:
    """The passphrase from the first source present (see the module's list), or None."""
    env = os.environ if environ is None else environ
    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    named = env.get(PASSPHRASE_ENV)
    if named:
        return read_passphrase_file(Path(named), source=f"${PASSPHRASE_ENV} ({named})")
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials:
        credential = Path(credentials) / CREDENTIAL_NAME
        if credential.exists():
            return read_passphrase_file(
                credential, source=f"systemd credential {CREDENTIAL_NAME} ({credential})"
            )
    return None


def passphrase_missing(what: str, *, environ: Mapping[str, str] | None = None) -> PassphraseMissing:
    """The error for ``what`` needing a passphrase no source gave, naming every source tried."""
    env = os.environ if environ is None else environ
    credentials = env.get("CREDENTIALS_DIRECTORY")
    tried = [
        "--passphrase-file (not given)",
        f"${PASSPHRASE_ENV} (not set)",
        (
            f"$CREDENTIALS_DIRECTORY/{CREDENTIAL_NAME} (no such file in {credentials})"
            if credentials
            else f"$CREDENTIALS_DIRECTORY/{CREDENTIAL_NAME} (CREDENTIALS_DIRECTORY not set)"
        ),
    ]
    return PassphraseMissing(f"{what} needs the keys' passphrase; tried: {', '.join(tried)}")
