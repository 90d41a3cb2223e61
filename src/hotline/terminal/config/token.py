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
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from hotline.crypto import PKCS11Signer, TokenKey, generate_token_key, open_token_key
from hotline.errors import ConfigError, TokenUnavailable
from hotline.terminal.config.paths import write_private

__all__ = [
    "MASTER_TOKEN_FILE",
    "PIN_CREDENTIAL",
    "PIN_ENV",
    "SIGNING_TOKEN_FILE",
    "Pin",
    "TokenMaster",
    "find_pin",
    "generate_signing_key",
    "open_signer",
    "read_master_token",
    "read_token_file",
    "write_master_token",
    "write_token_file",
]

PIN_ENV = "HOTLINE_PKCS11_PIN_FILE"
#: The systemd credential's name: ``LoadCredential=pkcs11-pin:/etc/hotline/PARTY.pin``.
PIN_CREDENTIAL = "pkcs11-pin"
#: ``keys/master.token``: where a master key made with ``--master-in-token`` lives
#: (JSON: module, token_label, key_label), in place of ``keys/master.key``.
MASTER_TOKEN_FILE = "master.token"  # noqa: S105 (a file name, not a secret)
#: ``keys/signing.token``: where the signing key in use lives once a signing key held
#: in a token has rotated (it overrides ``[keys] key_label``; docs/keys.md §6).
SIGNING_TOKEN_FILE = "signing.token"  # noqa: S105 (a file name, not a secret)


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


def find_pin(
    pin_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    what: str = "the signing key",
) -> Pin:
    """The PIN from the first source present (see the module's list).

    ``what`` names the key in the token for the error message ("the master key").

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
        f"{what} is in a PKCS#11 token, and opening it needs its PIN; tried: {', '.join(tried)}"
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


def write_master_token(keys_dir: Path, token: TokenKey) -> None:
    """Record where the master key lives (public: no PIN, no key)."""
    write_token_file(keys_dir / MASTER_TOKEN_FILE, token)


def read_master_token(keys_dir: Path) -> TokenKey | None:
    """Where the master key lives if it is in a token (``keys/master.token``), else None."""
    found = read_token_file(keys_dir / MASTER_TOKEN_FILE)
    return None if found is None else found[0]


def write_token_file(path: Path, token: TokenKey, *, public_key: bytes | None = None) -> None:
    """Record where a key in a token lives (public: no PIN, no key), with its public key if given."""
    document = {
        "module": token.module,
        "token_label": token.token_label,
        "key_label": token.key_label,
    }
    if public_key is not None:
        # Names the key in `hotline key list` without opening the token.
        document["public_key"] = public_key.hex()
    write_private(path, json.dumps(document, indent=2).encode("utf-8"))


def read_token_file(path: Path) -> tuple[TokenKey, bytes | None] | None:
    """Where the key a token file names lives, and its public key if recorded; None without the file."""
    try:
        document = json.loads(path.read_bytes())
        public = document.get("public_key")
        return (
            TokenKey(
                module=str(document["module"]),
                token_label=str(document["token_label"]),
                key_label=str(document["key_label"]),
            ),
            None if public is None else bytes.fromhex(str(public)),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{path} is damaged: {exc}") from exc


class TokenMaster:
    """A master key in a PKCS#11 token, logged in when it first signs.

    Its public key is known without the token (the certificates name it), so
    the commands that read only public data (``hotline card``, ``verify``)
    need no PIN; ``hotline run`` opens it at its start (:meth:`open`), so a
    wrong PIN refuses to start rather than fail at the first rotation.
    """

    __slots__ = ("_lock", "_pin", "_public", "_signer", "where")

    def __init__(self, where: TokenKey, public_key: bytes, pin: Pin | None) -> None:
        self.where = where
        self._public = public_key
        self._pin = pin
        self._signer: PKCS11Signer | None = None
        self._lock = threading.Lock()

    @property
    def public_key(self) -> bytes:
        return self._public

    @property
    def is_open(self) -> bool:
        """Whether the token is logged in (a signature needs no PIN now)."""
        return self._signer is not None

    def open(self) -> PKCS11Signer:
        """The token's signer, logged in now if it was not yet."""
        with self._lock:
            if self._signer is None:
                signer = open_signer(self.where, self._pin or find_pin(what="the master key"))
                if signer.public_key != self._public:
                    signer.close()
                    raise TokenUnavailable(
                        f"the key {self.where.key_label!r} in token {self.where.token_label} "
                        "is not this terminal's master key"
                    )
                self._signer = signer
            return self._signer

    def sign(self, data: bytes) -> bytes:
        return self.open().sign(data)

    def describe(self) -> str:
        return f"token {self.where.token_label}"

    def close(self) -> None:
        with self._lock:
            if self._signer is not None:
                self._signer.close()
                self._signer = None
