"""The PKCS#11 signer: an Ed25519 signing key generated in, and never leaving, a hardware token.

A terminal initialised with ``--pkcs11-module`` keeps its signing key in a
token (a smart card, an HSM, or SoftHSM2 for trying it): generated there as
non-extractable and sensitive, labelled with the party's name, and used
through ``CKM_EDDSA`` (PKCS#11 3.0; Ed25519 keys are ``CKK_EC_EDWARDS`` with
the curve's OID 1.3.101.112 as ``CKA_EC_PARAMS``). The session is opened and
logged in once, when the terminal opens its keys, and kept for the life of
the process: a signature is then one ``C_Sign`` (~0.3 ms on SoftHSM2).

python-pkcs11 is an optional dependency (the ``pkcs11`` extra), imported
only when a token is used. Every way of failing to reach the key (no module,
no such token, a wrong or locked PIN, no such key) raises
:class:`~hotline.errors.TokenUnavailable` with one line that names which.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from hotline.crypto.identity import KEY_BYTES
from hotline.errors import TokenUnavailable

__all__ = ["PKCS11Signer", "TokenKey", "generate_token_key", "open_token_key"]

#: RFC 8410's OID of Ed25519, as PKCS#11 3.0 names the curve of a CKK_EC_EDWARDS key.
_ED25519_OID = "1.3.101.112"


@dataclass(frozen=True, slots=True)
class TokenKey:
    """Where a signing key lives: the PKCS#11 module, the token's label and the key's label."""

    module: str
    token_label: str
    key_label: str


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError as exc:
        raise TokenUnavailable(
            "the signing key is in a PKCS#11 token, but python-pkcs11 is not installed "
            "(pip install 'hotline[pkcs11]')"
        ) from exc
    return pkcs11


def _session(where: TokenKey, pin: bytes | None, *, rw: bool) -> Any:
    """A logged-in session on the token ``where`` names; :class:`TokenUnavailable` if none.

    ``pin`` None: the token is logged in already by this process (a key of it is
    open), and a login is the token's, shared by every session of the process.
    """
    pkcs11 = _pkcs11()
    try:
        library = pkcs11.lib(where.module)
    except (pkcs11.PKCS11Error, OSError, RuntimeError) as exc:
        raise TokenUnavailable(f"cannot load the PKCS#11 module {where.module}: {exc}") from exc
    try:
        token = library.get_token(token_label=where.token_label)
    except pkcs11.NoSuchToken as exc:
        raise TokenUnavailable(
            f"no token labelled {where.token_label!r} in {where.module} (is it plugged in?)"
        ) from exc
    except pkcs11.MultipleTokensReturned as exc:
        raise TokenUnavailable(
            f"more than one token is labelled {where.token_label!r} in {where.module}"
        ) from exc
    if pin is None:
        try:
            return token.open(rw=rw)
        except pkcs11.PKCS11Error as exc:
            raise TokenUnavailable(
                f"cannot open a session on token {where.token_label!r}: {type(exc).__name__}"
            ) from exc
    try:
        return token.open(user_pin=pin.decode("utf-8"), rw=rw)
    except pkcs11.UserAlreadyLoggedIn:
        # Another key of this process is open in the same token (the master and the
        # signing key both in it, docs/keys.md §6): a login is the token's, shared by
        # every session of the process, so this one is logged in already.
        return token.open(rw=rw)
    except pkcs11.PinIncorrect as exc:
        raise TokenUnavailable(f"the PIN of token {where.token_label!r} is wrong") from exc
    except pkcs11.PinLocked as exc:
        raise TokenUnavailable(f"the PIN of token {where.token_label!r} is locked") from exc
    except (pkcs11.PKCS11Error, UnicodeDecodeError) as exc:
        raise TokenUnavailable(
            f"cannot log in to token {where.token_label!r}: {type(exc).__name__} {exc}".rstrip()
        ) from exc


def _raw_public(public: Any) -> bytes:
    pkcs11 = _pkcs11()
    point = bytes(public[pkcs11.Attribute.EC_POINT])
    # SoftHSM2 gives CKA_EC_POINT DER-wrapped (OCTET STRING 04 20 ‖ key), as
    # PKCS#11 3.0 allows; some tokens give the 32 bytes bare.
    if len(point) == KEY_BYTES + 2 and point[:2] == b"\x04\x20":
        point = point[2:]
    if len(point) != KEY_BYTES:
        raise TokenUnavailable(f"the token's key is not an Ed25519 key ({len(point)}-byte point)")
    return point


class PKCS11Signer:
    """An Ed25519 key in a PKCS#11 token; one logged-in session, kept open."""

    __slots__ = ("_key", "_lock", "_mechanism", "_public", "_session", "where")

    def __init__(self, where: TokenKey, session: Any, private: Any, public: bytes) -> None:
        self.where = where
        self._session = session
        self._key = private
        self._public = public
        self._mechanism = _pkcs11().Mechanism.EDDSA
        # A PKCS#11 session is not to be used by two threads at once, and
        # the terminal signs from its event loop and from worker threads.
        self._lock = threading.Lock()

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, data: bytes) -> bytes:
        with self._lock:
            return bytes(self._key.sign(bytes(data), mechanism=self._mechanism))

    def describe(self) -> str:
        return f"token {self.where.token_label}"

    def close(self) -> None:
        """Log out and close the session (the process's end does it too)."""
        self._session.close()

    def __repr__(self) -> str:
        return f"PKCS11Signer(token={self.where.token_label!r}, key={self.where.key_label!r})"


def open_token_key(where: TokenKey, pin: bytes | None) -> PKCS11Signer:
    """The signer of the key ``where`` names, its session logged in with ``pin``."""
    pkcs11 = _pkcs11()
    session = _session(where, pin, rw=False)
    try:
        private = session.get_key(
            object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=where.key_label
        )
        public = session.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=where.key_label)
        raw = _raw_public(public)
    except pkcs11.NoSuchKey as exc:
        session.close()
        raise TokenUnavailable(
            f"token {where.token_label!r} holds no key labelled {where.key_label!r}"
        ) from exc
    except pkcs11.MultipleObjectsReturned as exc:
        session.close()
        raise TokenUnavailable(
            f"token {where.token_label!r} holds several keys labelled {where.key_label!r}"
        ) from exc
    except BaseException:
        session.close()
        raise
    return PKCS11Signer(where, session, private, raw)


def generate_token_key(where: TokenKey, pin: bytes | None) -> PKCS11Signer:
    """Generate an Ed25519 key pair in the token (non-extractable, sensitive) and open it.

    :class:`TokenUnavailable` if the token already holds a key of that label:
    a party's key is created once, never silently replaced. ``pin`` None: the
    token is logged in already (a rotation of the signing key in use, which
    keeps it logged in).
    """
    pkcs11 = _pkcs11()
    from pkcs11.util.ec import encode_named_curve_parameters

    attribute = pkcs11.Attribute
    with _session(where, pin, rw=True) as session:
        existing = list(
            session.get_objects(
                {attribute.CLASS: pkcs11.ObjectClass.PRIVATE_KEY, attribute.LABEL: where.key_label}
            )
        )
        if existing:
            raise TokenUnavailable(
                f"token {where.token_label!r} already holds a key labelled {where.key_label!r}; "
                "refusing to make another"
            )
        try:
            parameters = session.create_domain_parameters(
                pkcs11.KeyType.EC_EDWARDS,
                {attribute.EC_PARAMS: encode_named_curve_parameters(_ED25519_OID)},
                local=True,
            )
            parameters.generate_keypair(
                store=True,
                label=where.key_label,
                private_template={
                    attribute.SENSITIVE: True,
                    attribute.EXTRACTABLE: False,
                    attribute.TOKEN: True,
                },
            )
        except pkcs11.PKCS11Error as exc:
            raise TokenUnavailable(
                f"token {where.token_label!r} cannot generate an Ed25519 key: "
                f"{type(exc).__name__} {exc}".rstrip()
            ) from exc
    return open_token_key(where, pin)
