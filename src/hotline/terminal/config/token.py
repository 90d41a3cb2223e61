"""A signing key in a PKCS#11 token: where its PIN comes from, and opening it.

``hotline init DIR … --pkcs11-module PATH --token-label L --pin-file F``
generates the terminal's signing key in the token; ``hotline.toml`` keeps
only where it is (``[keys] pkcs11_module``, ``token_label``, ``key_label``),
never the PIN. The PIN, like the passphrase (:mod:`.passphrase`), is never
taken on the command line or from a variable's value; always from a file,
the first of:

1. ``--pin-file F`` (``hotline init`` and ``hotline run``);
2. the file ``$HOTLINE_PKCS11_PIN_FILE`` names (every verb that opens the keys);
3. ``$CREDENTIALS_DIRECTORY/pkcs11-pin``: systemd's ``LoadCredential=pkcs11-pin:…``.

The file's content is the PIN, less one final newline. A source that is
named but unreadable or empty is an error, not a reason to try the next.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hotline.crypto import PKCS11Signer, TokenKey, generate_token_key, open_token_key
from hotline.errors import TokenUnavailable

__all__ = ["PIN_CREDENTIAL", "PIN_ENV", "Pin", "find_pin", "generate_signing_key", "open_signer"]

PIN_ENV = "HOTLINE_PKCS11_PIN_FILE"
#: The systemd credential's name: ``LoadCredential=pkcs11-pin:/etc/hotline/PARTY.pin``.
PIN_CREDENTIAL = "pkcs11-pin"


@dataclass(frozen=True, slots=True)
class Pin:
    """A token's PIN and where it came from (for error messages, never the secret)."""

    secret: bytes = field(repr=False)
    source: str


def _read_pin(path: Path, source: str) -> Pin:
    try:
        secret = Path(path).read_bytes()
    except OSError as exc:
        raise TokenUnavailable(
            f"cannot read the token's PIN ({source}): {exc.strerror or exc}"
        ) from exc
    secret = secret.removesuffix(b"\n").removesuffix(b"\r")
    if not secret:
        raise TokenUnavailable(f"the PIN file is empty ({source})")
    return Pin(secret=secret, source=source)


def find_pin(pin_file: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Pin:
    """The PIN from the first source present (see the module's list).

    :class:`TokenUnavailable` naming every source tried if none gives one.
    """
    env = os.environ if environ is None else environ
    if pin_file is not None:
        return _read_pin(pin_file, f"--pin-file {pin_file}")
    named = env.get(PIN_ENV)
    if named:
        return _read_pin(Path(named), f"${PIN_ENV} ({named})")
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials and (Path(credentials) / PIN_CREDENTIAL).exists():
        credential = Path(credentials) / PIN_CREDENTIAL
        return _read_pin(credential, f"systemd credential {PIN_CREDENTIAL} ({credential})")
    tried = [
        "--pin-file (not given)",
        f"${PIN_ENV} (not set)",
        f"$CREDENTIALS_DIRECTORY/{PIN_CREDENTIAL} "
        + (
            f"(no such file in {credentials})" if credentials else "(CREDENTIALS_DIRECTORY not set)"
        ),
    ]
    raise TokenUnavailable(
        f"the signing key is in a PKCS#11 token, and opening it needs its PIN; "
        f"tried: {', '.join(tried)}"
    )


def open_signer(token: TokenKey, pin: Pin | None) -> PKCS11Signer:
    """The token's signer, logged in with ``pin`` (or the one the environment gives)."""
    pin = pin or find_pin()
    with _naming(pin):
        return open_token_key(token, pin.secret)


def generate_signing_key(token: TokenKey, pin: Pin | None) -> PKCS11Signer:
    """Generate the signing key in the token (``hotline init``) and return its signer."""
    pin = pin or find_pin()
    with _naming(pin):
        return generate_token_key(token, pin.secret)


@contextlib.contextmanager
def _naming(pin: Pin) -> Iterator[None]:
    """A refused PIN's error names where the PIN came from (never the PIN)."""
    try:
        yield
    except TokenUnavailable as exc:
        if "PIN" not in str(exc):
            raise
        raise TokenUnavailable(f"{exc} (from {pin.source})") from exc
