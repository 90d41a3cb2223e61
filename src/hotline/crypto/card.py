"""Peer cards: the signed JSON document a party hands its peers out of band.

A card carries everything a peer needs to talk to a party: its name, its two
public keys, where to reach it, its local time zone, and its TLS certificate.
The party signs the card with its identity key, so a card cannot be altered in
transit without detection; but a card proves only that it is self-consistent,
not *whose* it is. That is what the :func:`fingerprint` is for: both operators
read it aloud over an independent channel before trusting the card, as with
Signal safety numbers.

The normative format is ``docs/protocol/cards.md``. In short::

    {"hotline_card": 1, "party": "Washington", "signing_key": "<b64url>",
     "encryption_key": "<b64url>", "routes": ["127.0.0.1:7001"],
     "timezone": "America/New_York", "certificate": "<b64url DER>",
     "signature": "<b64url>"}

Reading a card checks, in order: UTF-8, JSON, object, no duplicate keys,
version, field set, field types and encodings, field values, the signature,
and last the certificate (parses, its key is the signing key, Ed25519,
self-signed, its name is the party). Every failure is a :class:`CardInvalid` whose
message says what is wrong in words an operator can act on.

Time zones are checked for shape only: this layer is pure and does not open
the tz database; the CLI checks that the zone exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cbor2

from hotline.crypto.certificate import (
    certificate_party,
    certificate_public_key,
    make_tls_certificate,
    verify_self_signed,
)
from hotline.crypto.identity import (
    KEY_BYTES,
    SIGNATURE_BYTES,
    Identity,
    validate_party,
    verify_signature,
)
from hotline.errors import CardInvalid, InvalidArgument, SignatureInvalid

__all__ = [
    "CARD_DOMAIN",
    "CARD_VERSION",
    "FINGERPRINT_DOMAIN",
    "FINGERPRINT_ITERATIONS",
    "MAX_ROUTES",
    "PeerCard",
    "b64url_decode",
    "b64url_encode",
    "fingerprint",
    "make_card",
    "parse_route",
    "validate_timezone",
]

CARD_VERSION = 1
CARD_DOMAIN = b"hotline-card-v1\x00"
FINGERPRINT_DOMAIN = b"hotline-fingerprint-v1\x00"
FINGERPRINT_ITERATIONS = 5200
MAX_ROUTES = 16
# A certificate from make_tls_certificate is about 400 bytes; the bound only
# stops a hostile card from making us parse megabytes.
_MAX_CERTIFICATE_BYTES = 4096

_FIELDS = (
    "hotline_card",
    "party",
    "signing_key",
    "encryption_key",
    "routes",
    "timezone",
    "certificate",
    "signature",
)
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_PORT = re.compile(r"^[1-9][0-9]{0,4}$")
_TIMEZONE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9][A-Za-z0-9_+-]*)*$")
_MAX_TIMEZONE_LENGTH = 64
_SIGNATURE_MISMATCH = (
    "the signature does not match the card's contents: "
    "it was altered after signing or signed by another key"
)


# -- encodings ---------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as cards write bytes."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict inverse of :func:`b64url_encode`; :class:`~hotline.errors.InvalidArgument` otherwise.

    Strict means canonical: no padding, no whitespace, and no stray bits in
    the last character. Without that last rule several strings decode to the
    same bytes, and an edited card could still carry a valid signature.
    """
    if not isinstance(text, str) or not _B64URL.match(text) or len(text) % 4 == 1:
        raise InvalidArgument("not base64url without padding")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidArgument("not base64url without padding") from exc
    if b64url_encode(data) != text:
        raise InvalidArgument("not canonical base64url (stray bits in the last character)")
    return data


# -- field rules -------------------------------------------------------------


def parse_route(route: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` into host and port; :class:`~hotline.errors.InvalidArgument` if malformed.

    HOST is a dotted IPv4 address, a DNS hostname (RFC 1123 labels, not all
    digits in the last label), or ``[IPv6]``; the returned host has no
    brackets. PORT is 1-65535 without leading zeros.
    """
    if not isinstance(route, str):
        raise InvalidArgument(f"route {route!r} is not HOST:PORT")
    host, sep, port_text = route.rpartition(":")
    if not sep or not _PORT.match(port_text) or int(port_text) > 65535:
        raise InvalidArgument(f"route {route!r} is not HOST:PORT with a port from 1 to 65535")
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1])), int(port_text)
        except ValueError as exc:
            raise InvalidArgument(f"route {route!r} is not HOST:PORT: bad IPv6 address") from exc
    if not _is_ipv4(host) and not _is_hostname(host):
        raise InvalidArgument(
            f"route {route!r} is not HOST:PORT: the host must be an IPv4 address, "
            "a hostname, or [IPv6]"
        )
    return host, int(port_text)


def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def _is_hostname(host: str) -> bool:
    if not 1 <= len(host) <= 253:
        return False
    labels = host.split(".")
    # An all-digit last label would be a mistyped IPv4 address ("10.0.0.300").
    return all(_HOST_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


def validate_timezone(timezone: str) -> str:
    """Return ``timezone`` if it has the shape of an IANA zone name, else InvalidArgument.

    ``Europe/Moscow``, ``America/Argentina/Buenos_Aires``, ``Etc/GMT+5`` and
    ``UTC`` pass; whether the zone exists is the CLI's check.
    """
    if (
        not isinstance(timezone, str)
        or len(timezone) > _MAX_TIMEZONE_LENGTH
        or not _TIMEZONE.match(timezone)
    ):
        raise InvalidArgument(
            f"time zone {timezone!r} is not an IANA zone name like 'Europe/Moscow' or 'UTC'"
        )
    return timezone


def _validate_routes(routes: Sequence[str]) -> tuple[str, ...]:
    if isinstance(routes, str):
        raise InvalidArgument("routes must be a list of HOST:PORT strings, not one string")
    routes = tuple(routes)
    if not routes:
        raise InvalidArgument("a card needs at least one route")
    if len(routes) > MAX_ROUTES:
        raise InvalidArgument(f"a card has at most {MAX_ROUTES} routes, not {len(routes)}")
    for route in routes:
        parse_route(route)
    if len(set(routes)) != len(routes):
        raise InvalidArgument("a route is listed twice")
    return routes


def fingerprint(*, party: str, signing_key: bytes, encryption_key: bytes) -> str:
    """The human-comparable fingerprint of a party: 12 groups of 5 digits.

    As Signal's numeric fingerprint: start from ``FINGERPRINT_DOMAIN ||
    signing_key || encryption_key || party (UTF-8)``, then 5,200 times replace
    it by ``SHA-512(previous || signing_key || encryption_key)``. The slow
    iteration makes finding a second key pair with a matching fingerprint
    costlier. Of the final 64 bytes, the first 60 form 12 big-endian 5-byte
    chunks, each reduced mod 100000 and zero-padded to 5 digits.
    """
    keys = bytes(signing_key) + bytes(encryption_key)
    digest = FINGERPRINT_DOMAIN + keys + party.encode("utf-8")
    for _ in range(FINGERPRINT_ITERATIONS):
        digest = hashlib.sha512(digest + keys).digest()
    groups = (
        int.from_bytes(digest[offset : offset + 5], "big") % 100000 for offset in range(0, 60, 5)
    )
    return " ".join(f"{group:05d}" for group in groups)


# -- the card ----------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerCard:
    """A party's public card. Construction checks shape; :meth:`verify` checks it cryptographically.

    :meth:`from_json` and :func:`make_card` only ever return verified cards.
    """

    party: str
    signing_key: bytes
    encryption_key: bytes
    routes: tuple[str, ...]
    timezone: str
    certificate: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.routes, tuple):
            raise CardInvalid("routes must be a tuple")
        try:
            validate_party(self.party)
            validate_timezone(self.timezone)
            _validate_routes(self.routes)
        except InvalidArgument as exc:
            raise CardInvalid(str(exc)) from exc
        for name, value, size in (
            ("signing_key", self.signing_key, KEY_BYTES),
            ("encryption_key", self.encryption_key, KEY_BYTES),
            ("signature", self.signature, SIGNATURE_BYTES),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise CardInvalid(f"field '{name}' must be {size} bytes")
        if not isinstance(self.certificate, bytes) or not self.certificate:
            raise CardInvalid("field 'certificate' must be non-empty bytes")
        if len(self.certificate) > _MAX_CERTIFICATE_BYTES:
            raise CardInvalid(
                f"field 'certificate' is {len(self.certificate)} bytes, "
                f"over the {_MAX_CERTIFICATE_BYTES}-byte limit"
            )

    def signed_bytes(self) -> bytes:
        """What the card's signature covers: ``CARD_DOMAIN || canonical CBOR``."""
        return _signed_bytes(
            party=self.party,
            signing_key=self.signing_key,
            encryption_key=self.encryption_key,
            routes=self.routes,
            timezone=self.timezone,
            certificate=self.certificate,
        )

    def verify(self) -> None:
        """Check the signature, then the certificate; :class:`CardInvalid` if wrong.

        The signature comes first so that any edit to a signed card is reported
        as what it is, tampering, rather than as whichever inconsistency the
        edit happened to create.
        """
        try:
            verify_signature(self.signing_key, self.signature, self.signed_bytes())
        except SignatureInvalid as exc:
            raise CardInvalid(_SIGNATURE_MISMATCH) from exc
        if certificate_public_key(self.certificate) != self.signing_key:
            raise CardInvalid("the certificate's key is not the card's signing key")
        verify_self_signed(self.certificate)
        if certificate_party(self.certificate) != self.party:
            raise CardInvalid("the certificate's name is not the card's party")

    @property
    def fingerprint(self) -> str:
        """See :func:`fingerprint`; the same for the same party name and keys."""
        return fingerprint(
            party=self.party, signing_key=self.signing_key, encryption_key=self.encryption_key
        )

    def to_json(self) -> str:
        """The card as pretty JSON with sorted keys and a trailing newline."""
        document = {
            "hotline_card": CARD_VERSION,
            "party": self.party,
            "signing_key": b64url_encode(self.signing_key),
            "encryption_key": b64url_encode(self.encryption_key),
            "routes": list(self.routes),
            "timezone": self.timezone,
            "certificate": b64url_encode(self.certificate),
            "signature": b64url_encode(self.signature),
        }
        return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> PeerCard:
        """Parse and verify a card; :class:`CardInvalid` naming what is wrong."""
        document = _parse_document(text)
        card = cls(
            party=_text_field(document, "party"),
            signing_key=_bytes_field(document, "signing_key"),
            encryption_key=_bytes_field(document, "encryption_key"),
            routes=_routes_field(document),
            timezone=_text_field(document, "timezone"),
            certificate=_bytes_field(document, "certificate"),
            signature=_bytes_field(document, "signature"),
        )
        card.verify()
        return card


def make_card(identity: Identity, *, routes: Sequence[str], timezone: str) -> PeerCard:
    """Our own signed card. Raises :class:`~hotline.errors.InvalidArgument` for a bad route or time zone."""
    checked_routes = _validate_routes(routes)
    validate_timezone(timezone)
    certificate = make_tls_certificate(identity)
    signed = _signed_bytes(
        party=identity.party,
        signing_key=identity.signing_public,
        encryption_key=identity.encryption_public,
        routes=checked_routes,
        timezone=timezone,
        certificate=certificate,
    )
    card = PeerCard(
        party=identity.party,
        signing_key=identity.signing_public,
        encryption_key=identity.encryption_public,
        routes=checked_routes,
        timezone=timezone,
        certificate=certificate,
        signature=identity.sign(signed),
    )
    card.verify()
    return card


def _signed_bytes(
    *,
    party: str,
    signing_key: bytes,
    encryption_key: bytes,
    routes: tuple[str, ...],
    timezone: str,
    certificate: bytes,
) -> bytes:
    payload = {
        "hotline_card": CARD_VERSION,
        "party": party,
        "signing_key": signing_key,
        "encryption_key": encryption_key,
        "routes": list(routes),
        "timezone": timezone,
        "certificate": certificate,
    }
    return CARD_DOMAIN + cbor2.dumps(payload, canonical=True)


# -- JSON parsing ------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # Two values for one field: which one did the signer mean?
            raise CardInvalid(f"field '{key}' appears twice")
        result[key] = value
    return result


def _parse_document(text: str | bytes) -> dict[str, Any]:
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CardInvalid("the card is not UTF-8 text") from exc
    if not isinstance(text, str):
        raise CardInvalid("the card is not text")
    # Editors on some systems prepend a byte-order mark; it is not content.
    text = text.removeprefix("\ufeff")
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicates)
    except CardInvalid:
        raise
    except (ValueError, RecursionError) as exc:
        raise CardInvalid(f"the card is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise CardInvalid("the card is not a JSON object")
    if "hotline_card" not in document:
        raise CardInvalid("not a hotline card: missing field 'hotline_card'")
    version = document["hotline_card"]
    if type(version) is not int:
        raise CardInvalid("field 'hotline_card' must be the integer version 1")
    if version != CARD_VERSION:
        raise CardInvalid(
            f"unsupported card version {version}: this hotline reads version {CARD_VERSION}"
        )
    for name in _FIELDS:
        if name not in document:
            raise CardInvalid(f"missing field '{name}'")
    for name in sorted(document):
        if name not in _FIELDS:
            # Unsigned extra data would ride along with a valid signature.
            raise CardInvalid(f"unknown field '{name}'")
    return document


def _text_field(document: dict[str, Any], name: str) -> str:
    value = document[name]
    if not isinstance(value, str):
        raise CardInvalid(f"field '{name}' must be a string")
    return value


def _bytes_field(document: dict[str, Any], name: str) -> bytes:
    value = _text_field(document, name)
    try:
        return b64url_decode(value)
    except InvalidArgument as exc:
        raise CardInvalid(f"field '{name}' is {exc}") from exc


def _routes_field(document: dict[str, Any]) -> tuple[str, ...]:
    value = document["routes"]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise CardInvalid("field 'routes' must be a list of HOST:PORT strings")
    return tuple(value)
