"""Console accounts: people, their roles, their passwords and their own signing keys.

A watch officer logs in to the console with a name and password. Each user has
a role that decides what they may do (:data:`PERMISSIONS`), a language for the
interface, and an Ed25519 key of their own, so that what they sign (an
acknowledgement, a handover note) is signed by *them*, not only by the
terminal:

* the password is kept as an Argon2id hash (argon2-cffi's defaults, RFC 9106's
  second recommended option);
* the private key is kept only wrapped: sealed with ChaCha20-Poly1305 under a
  key derived from the password with Argon2id and a per-user salt. The
  terminal can sign in a user's name only while that user is logged in
  (:func:`authenticate` returns an :class:`Operator` holding the key).

Changing a password re-wraps the same key, so the user's public key, and
everything they signed, stays valid.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from hotline.errors import AuthenticationFailed, InvalidArgument, PeerConflict
from hotline.store import Store, UserRecord
from hotline.terminal.core.operators import UI_LANGUAGES, Operator, Role
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc

__all__ = [
    "MIN_PASSWORD_CHARS",
    "authenticate",
    "check_user_name",
    "create_user",
    "set_password",
    "user_json",
]

MIN_PASSWORD_CHARS = 10
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")
_KEY_AAD = b"hotline-user-key-v1\x00"
_NONCE = bytes(12)  # a fresh salt, hence a fresh key, for every wrap: a fixed nonce is safe
_HASHER = PasswordHasher()


def user_json(user: UserRecord) -> dict[str, Any]:
    """A user as the control API and ``hotline user list --json`` show it (no secrets)."""
    return {
        "name": user.name,
        "role": user.role,
        "language": user.language,
        "created_at": user.created_at,
        "disabled": user.disabled,
        "signing_key": user.signing_key.hex(),
    }


def check_user_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidArgument(
            f"user name {name!r} is not valid: 1 to 64 characters, letters, digits, . _ -, "
            "starting with a letter"
        )
    return name


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidArgument(f"the password must have at least {MIN_PASSWORD_CHARS} characters")


def _check_language(language: str) -> str:
    if language not in UI_LANGUAGES:
        raise InvalidArgument(
            f"language must be one of {', '.join(UI_LANGUAGES)}, not {language!r}"
        )
    return language


def _kek(password: str, salt: bytes) -> bytes:
    return hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=_HASHER.time_cost,
        memory_cost=_HASHER.memory_cost,
        parallelism=_HASHER.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def _wrap(key: Ed25519PrivateKey, password: str, name: str) -> tuple[bytes, bytes]:
    salt = os.urandom(16)
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    wrapped = ChaCha20Poly1305(_kek(password, salt)).encrypt(
        _NONCE, raw, _KEY_AAD + name.encode("utf-8")
    )
    return wrapped, salt


def create_user(
    store: Store,
    clock: Clock,
    *,
    name: str,
    role: Role | str,
    password: str,
    language: str = "en",
) -> UserRecord:
    """Create a user with a fresh signing key; PeerConflict if the name is taken."""
    check_user_name(name)
    try:
        role = Role(role)
    except ValueError:
        raise InvalidArgument(
            f"role must be one of {', '.join(r.value for r in Role)}, not {role!r}"
        ) from None
    _check_password(password)
    _check_language(language)
    if store.get_user(name) is not None:
        raise PeerConflict(f"a user named {name!r} already exists")
    key = Ed25519PrivateKey.generate()
    wrapped, salt = _wrap(key, password, name)
    user = UserRecord(
        name=name,
        role=str(role),
        password_hash=_HASHER.hash(password),
        language=language,
        signing_key=key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        wrapped_key=wrapped,
        key_salt=salt,
        created_at=format_utc(clock.now()),
    )
    with store.transaction():
        store.add_user(user)
        store.append_journal(
            kind="user added",
            at=user.created_at,
            data={"name": name, "role": str(role), "signing_key": user.signing_key.hex()},
        )
    return user


def authenticate(store: Store, name: str, password: str) -> Operator:
    """The logged-in :class:`Operator`, or :class:`AuthenticationFailed`."""
    user = store.get_user(name)
    if user is None or user.disabled:
        # Spend the same effort as a real check, so timing does not tell names apart.
        _dummy_verify(password)
        raise AuthenticationFailed("wrong name or password")
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise AuthenticationFailed("wrong name or password") from None
    try:
        raw = ChaCha20Poly1305(_kek(password, user.key_salt)).decrypt(
            _NONCE, user.wrapped_key, _KEY_AAD + name.encode("utf-8")
        )
    except InvalidTag:
        raise AuthenticationFailed(f"the signing key of {name!r} does not open") from None
    key = Ed25519PrivateKey.from_private_bytes(raw)
    return Operator(name=name, role=Role(user.role), language=user.language, signing_key=key)


def set_password(store: Store, operator: Operator, new_password: str) -> None:
    """Change a logged-in user's password (the key is re-wrapped, not replaced)."""
    _check_password(new_password)
    user = store.get_user(operator.name)
    if user is None:
        raise AuthenticationFailed("no such user")
    wrapped, salt = _wrap(operator.signing_key, new_password, operator.name)
    store.update_user(
        UserRecord(
            name=user.name,
            role=user.role,
            password_hash=_HASHER.hash(new_password),
            language=user.language,
            signing_key=user.signing_key,
            wrapped_key=wrapped,
            key_salt=salt,
            created_at=user.created_at,
            disabled=user.disabled,
        )
    )


@functools.cache
def _dummy_hash() -> str:
    # Made on the first failed sign-in, not at import: an Argon2id hash takes 64 MiB and
    # about 0.1-0.5 s, which every process importing the console (each CLI command, the
    # daemon's start) would otherwise pay for nothing.
    return _HASHER.hash("not a real password, only for timing")


def _dummy_verify(password: str) -> None:
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        _HASHER.verify(_dummy_hash(), password)
